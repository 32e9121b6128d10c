import { openBaselineStore } from '../../github/open-baseline-store.ts';
import { planRelease } from '../../pipeline/plan-release.ts';
import { renderDiffText, renderOriginText, renderPlanText } from '../../report/render-text.ts';
import { parseCommandArgs } from '../args.ts';
import { CONFIG_FLAGS, CONFIG_USAGE, loadConfigFromFlags } from '../config-flags.ts';
import { type CliIO, ioLogger, printResult } from '../io.ts';

export const USAGE = `edgepurge plan ${CONFIG_USAGE}`;

/** `edgepurge plan`: what deploy would do. Reads the disk; writes and sends nothing. */
export async function planCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs('plan', args, CONFIG_FLAGS, USAGE, { min: 0, max: 0 });
  const config = await loadConfigFromFlags(values, io);
  const log = ioLogger(io);
  const store = await openBaselineStore(config, { env: io.env, log });
  const { release, document } = await planRelease(config, {
    env: io.env,
    log,
    signal: io.signal,
    store,
  });
  printResult(io, values.json === true, document, () =>
    [
      renderDiffText(release.diff),
      renderOriginText(release.origin),
      renderPlanText(release.plan, release.toTouch),
    ].join(''),
  );
  return 0;
}
