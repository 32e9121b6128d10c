import { deploy } from '../../pipeline/deploy.ts';
import { renderDeployText } from '../../report/render-text.ts';
import { parseCommandArgs } from '../args.ts';
import { CONFIG_FLAGS, CONFIG_USAGE, loadConfigFromFlags } from '../config-flags.ts';
import { type CliIO, ioLogger, printResult } from '../io.ts';

export const USAGE = `edgepurge deploy [--dry-run] ${CONFIG_USAGE}`;

/**
 * `edgepurge deploy`: scan, diff, fix, upload hook, snapshot, purge, verify; the baseline is
 * saved only when verification passed. Exit 0 verified, 1 failed.
 */
export async function deployCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(
    'deploy',
    args,
    { ...CONFIG_FLAGS, 'dry-run': { type: 'boolean' } },
    USAGE,
    { min: 0, max: 0 },
  );
  const config = await loadConfigFromFlags(values, io);
  const { dryRunCalls, plan, ...result } = await deploy(config, {
    dryRun: values['dry-run'] === true,
    log: ioLogger(io),
    signal: io.signal,
    env: io.env,
  });
  const document = result.dryRun ? { ...result, plan } : result;
  printResult(io, values.json === true, document, () => renderDeployText(result));
  return result.ok ? 0 : 1;
}
