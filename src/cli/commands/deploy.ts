import { resolve } from 'node:path';
import { openBaselineStore } from '../../github/open-baseline-store.ts';
import { deploy } from '../../pipeline/deploy.ts';
import { deployDocument } from '../../pipeline/deploy-document.ts';
import { readPlanDocument } from '../../pipeline/plan-document.ts';
import { renderDeployText } from '../../report/render-text.ts';
import { reportTargets } from '../../report/write-reports.ts';
import { parseCommandArgs } from '../args.ts';
import { CONFIG_FLAGS, CONFIG_USAGE, loadConfigFromFlags } from '../config-flags.ts';
import { type CliIO, ioLogger, printResult } from '../io.ts';
import { emitReports, urlTable, verifyProgress } from '../verify-output.ts';

export const USAGE = `edgepurge deploy [--plan PLAN.json] [--dry-run] [--report FILE.md|FILE.html]… ${CONFIG_USAGE}`;

/**
 * `edgepurge deploy`: scan, diff, fix, upload hook, snapshot, purge, verify; the baseline is
 * saved only when verification passed. `--plan` applies a document `plan --out` wrote, exactly,
 * and refuses one the tree, the baseline or the providers no longer match (exit 2, nothing
 * changed). Exit 0 verified, 1 failed.
 */
export async function deployCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(
    'deploy',
    args,
    {
      ...CONFIG_FLAGS,
      'dry-run': { type: 'boolean' },
      plan: { type: 'string' },
      report: { type: 'string', multiple: true },
    },
    USAGE,
    { min: 0, max: 0 },
  );
  const reports = await reportTargets(values.report, io.cwd, io.env);
  const config = await loadConfigFromFlags(values, io);
  const log = ioLogger(io);
  const plan =
    values.plan === undefined
      ? undefined
      : { document: await readPlanDocument(resolve(io.cwd, values.plan), '--plan'), at: '--plan' };
  const { env, redactor } = io;
  const baselineStore = await openBaselineStore(config, { env, log, redactor });
  const progress = verifyProgress(io);
  const outcome = await deploy(config, {
    dryRun: values['dry-run'] === true,
    signal: io.signal,
    ports: { log, baselineStore, env, redactor },
    onVerifyProgress: progress.onProgress,
    plan,
  }).finally(progress.finish);
  const { result, document, requests } = deployDocument(outcome);
  if (!result.dryRun) await emitReports(io, result.verify, result, reports);
  printResult(io, values.json === true, document, () =>
    result.dryRun
      ? `${requests.map((line) => `would send ${line}\n`).join('')}${renderDeployText(result)}`
      : `${urlTable(io, result.verify)}${renderDeployText(result)}`,
  );
  return result.ok ? 0 : 1;
}
