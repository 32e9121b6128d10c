import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setFailed, summary } from '@actions/core';
import { checkWritable } from '../check-writable.ts';
import { JobError } from '../errors.ts';
import { formatError } from '../format-error.ts';
import { createRedactor, type Redactor } from '../redact.ts';
import { writeReports } from '../report/write-reports.ts';
import { VERSION } from '../version.ts';
import { actionLogger } from './action-logger.ts';
import { NO_OUTPUTS, writeOutputs } from './action-outputs.ts';
import { type GitHubPublisher, githubPublisher } from './github-publisher.ts';
import { loadActionConfig } from './load-action-config.ts';
import { maskSecrets } from './mask-secrets.ts';
import { readEvent } from './read-event.ts';
import { type ActionCommand, commandFor, type GetInput, readInputs } from './read-inputs.ts';
import { emitAnnotations, reportAnnotations } from './report-annotations.ts';
import type { StepContext, StepOutcome } from './step.ts';

type Step = (context: StepContext) => Promise<StepOutcome>;

// Each step loads when it runs: a wrong input fails the step without loading the pipeline,
// and a plan never loads a provider's SDK for a purge.
const STEPS: Readonly<Record<ActionCommand, () => Promise<Step>>> = {
  deploy: async () => (await import('./deploy-step.ts')).deployStep,
  plan: async () => (await import('./plan-step.ts')).planStep,
  verify: async () => (await import('./verify-step.ts')).verifyStep,
  purge: async () => (await import('./purge-step.ts')).purgeStep,
};

export interface RunActionOptions {
  /** The runner's environment; `@actions/core` writes outputs and the summary where it names. */
  readonly env: NodeJS.ProcessEnv;
  /** `core.getInput`: reads `INPUT_<NAME>`. */
  readonly getInput: GetInput;
  readonly signal: AbortSignal;
}

/**
 * The Action: masks every credential, reads the inputs and the event, resolves the config as
 * the CLI does (file → env → inputs), runs the command on the same core, then writes the JSON
 * document, the outputs, the step summary, the annotations and the HTML report. Returns the
 * exit code (0, 1 the job failed, 2 wrong input); the step is marked failed with the same
 * message and hint the CLI prints.
 */
export async function runAction(options: RunActionOptions): Promise<number> {
  const { env, getInput, signal } = options;
  // This run's own redactor: two runs in one process never share their secrets.
  const redactor = createRedactor();
  maskSecrets(env, getInput, redactor);
  const log = actionLogger(redactor);
  let github: GitHubPublisher | undefined;
  try {
    const inputs = readInputs(getInput);
    const event = await readEvent(env);
    const command = commandFor(inputs.command, event.name);
    const workspace = resolve(env.GITHUB_WORKSPACE || process.cwd());
    const report = inputs.report === undefined ? undefined : resolve(workspace, inputs.report);
    if (report !== undefined) await checkWritable(report, 'report');
    const config = await loadActionConfig(inputs, env, workspace, event);
    log.info(
      `edgepurge ${VERSION}: ${command} for ${config.environment} (event: ${event.name || 'none'})`,
    );
    github = githubPublisher({
      env,
      event,
      token: inputs.githubToken,
      environment: config.environment,
      baseUrl: config.baseUrl,
      status: inputs.status,
      comment: inputs.comment,
      log,
      redactor,
    });
    const step = await STEPS[command]();
    const outcome = await step({
      config,
      inputs,
      env,
      log,
      redactor,
      signal,
      github,
    });
    const json = await writeDocument(env, outcome.document, redactor);
    writeOutputs({ ...outcome.outputs, json }, redactor);
    await writeSummary(env, outcome.summary, redactor);
    if (outcome.verify !== undefined) {
      emitAnnotations(reportAnnotations(outcome.verify, config.dir, workspace), redactor);
      if (report !== undefined) {
        const targets = [{ path: report, format: 'html' as const }];
        await writeReports(outcome.verify, outcome.deploy, targets, {}, redactor);
        log.info(`report: ${report}`);
      }
    }
    if (outcome.ok) return 0;
    const cause = outcome.error ?? { code: 'E_FAILED', message: `${command} failed` };
    const failed = new JobError(cause.code, cause.message, { hint: cause.hint });
    setFailed(formatError(failed, redactor).text);
    return 1;
  } catch (error) {
    const formatted = formatError(error, redactor, signal.aborted);
    const document = { ok: false, error: formatted.json };
    const json = await writeDocument(env, document, redactor).catch(() => '');
    writeOutputs({ ...NO_OUTPUTS, json }, redactor);
    await github?.finished('error', formatted.json.message);
    // The summary says it too: a failed step's log is not where a reader looks first.
    const failure = `### ❌ edgepurge failed\n\n~~~~text\n${formatted.text}\n~~~~\n`;
    await writeSummary(env, failure, redactor).catch(() => undefined);
    setFailed(formatted.text);
    return formatted.exitCode;
  }
}

/**
 * Writes the JSON document under RUNNER_TEMP (emptied after each job), one file per step
 * (`GITHUB_ACTION` names the step), redacted. Returns its path: the `json` output.
 */
async function writeDocument(
  env: NodeJS.ProcessEnv,
  document: unknown,
  redactor: Redactor,
): Promise<string> {
  const folder = join(env.RUNNER_TEMP || tmpdir(), 'edgepurge');
  const step = (env.GITHUB_ACTION || 'edgepurge').replace(/[^A-Za-z0-9._-]/g, '_');
  const path = join(folder, `${step}.json`);
  await mkdir(folder, { recursive: true });
  await writeFile(path, redactor.redact(`${JSON.stringify(document, null, 2)}\n`));
  return path;
}

/** Appends the Markdown to `$GITHUB_STEP_SUMMARY` when the runner set it. */
async function writeSummary(
  env: NodeJS.ProcessEnv,
  markdown: string,
  redactor: Redactor,
): Promise<void> {
  if (!env.GITHUB_STEP_SUMMARY) return;
  await summary.addRaw(redactor.redact(markdown), true).write();
}
