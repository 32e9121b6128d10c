import { resolve } from 'node:path';
import { openBaselineStore } from '../github/open-baseline-store.ts';
import { deploy } from '../pipeline/deploy.ts';
import { deployDocument } from '../pipeline/deploy-document.ts';
import { readPlanDocument } from '../pipeline/plan-document.ts';
import type { DeployResult } from '../pipeline/result.ts';
import { renderMarkdown } from '../report/render-markdown.ts';
import { verifyOutputs } from './action-outputs.ts';
import type { StepContext, StepOutcome } from './step.ts';

/**
 * The deploy step: the CLI's `deploy` on the same core, with a `github:` baseline read and
 * saved through the `github-token` input, and the commit status `edgepurge/<environment>` set
 * pending when the purge starts, then success or failure with the counts. Input `plan` applies
 * a plan document exactly, as `deploy --plan` does.
 */
export async function deployStep(context: StepContext): Promise<StepOutcome> {
  const { config, inputs, env, log, redactor, signal, github } = context;
  const plan =
    inputs.plan === undefined
      ? undefined
      : {
          document: await readPlanDocument(
            resolve(env.GITHUB_WORKSPACE || process.cwd(), inputs.plan),
            'plan',
          ),
          at: 'plan',
        };
  const token = inputs.githubToken;
  const baselineStore = await openBaselineStore(config, { env, log, token, redactor });
  // The status turns pending when the purge starts (after the upload), as the issue asks.
  const outcome = await deploy(config, {
    dryRun: inputs.dryRun,
    signal,
    ports: { log, baselineStore, env, redactor },
    onPurgeStart: () => github.started(`purging and verifying ${config.environment}`),
    plan,
  });
  const { result, document, requests } = deployDocument(outcome);
  for (const line of requests) log.info(`would send ${line}`);
  const diff = result.diff;
  const outputs = {
    ok: result.ok,
    changed: diff.added.length + diff.changed.length + diff.removed.length,
    purgedUrls: result.purge.urls,
    requests: result.purge.requests,
    ...verifyOutputs(result.verify),
    baselineSaved: result.baseline.saved,
  };
  if (!inputs.dryRun)
    await github.finished(result.ok ? 'success' : 'failure', describe(result, outputs.verified));
  return {
    ok: result.ok,
    document,
    outputs,
    summary: renderMarkdown(result.verify, result),
    verify: result.verify,
    deploy: result,
    ...(result.error === undefined ? {} : { error: result.error }),
  };
}

/** The status description: counts a reader can take in at a glance (GitHub keeps 140 chars). */
function describe(result: DeployResult, verified: number): string {
  const d = result.diff;
  const changed = d.added.length + d.changed.length + d.removed.length;
  const counts = `${changed} files changed, ${result.purge.requests} purge requests`;
  if (result.ok) return `verified: ${verified} URLs fresh; ${counts}`;
  if (result.verify.stale.length > 0)
    return `failed: ${result.verify.stale.length} of ${result.verify.checked} URLs stale; ${counts}`;
  return `failed: ${result.error?.message ?? 'see the run'}`;
}
