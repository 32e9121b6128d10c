import { prepareRelease } from '../../pipeline/deploy.ts';
import { createProviders } from '../../providers/index.ts';
import { renderDiffText, renderPlanText } from '../../report/render-text.ts';
import { parseCommandArgs } from '../args.ts';
import { CONFIG_FLAGS, CONFIG_USAGE, loadConfigFromFlags } from '../config-flags.ts';
import { type CliIO, ioLogger, printResult } from '../io.ts';

export const USAGE = `edgepurge plan ${CONFIG_USAGE}`;

/** `edgepurge plan`: what deploy would do. Reads the disk; writes and sends nothing. */
export async function planCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs('plan', args, CONFIG_FLAGS, USAGE, { min: 0, max: 0 });
  const config = await loadConfigFromFlags(values, io);
  // A plan sends nothing: it needs the providers' capabilities, not their credentials.
  const providers = createProviders(config.providers, io.env, { credentials: false });
  const release = await prepareRelease(config, providers, ioLogger(io), io.signal).finally(() =>
    Promise.all(providers.map((provider) => provider.close?.())),
  );
  const document = {
    ...release.plan,
    diff: release.diff,
    touch: release.toTouch,
    baseline: { path: config.baseline, found: release.hadBaseline },
  };
  printResult(io, values.json === true, document, () =>
    [renderDiffText(release.diff), renderPlanText(release.plan, release.toTouch)].join(''),
  );
  return 0;
}
