import type { ResolvedConfig } from '../config/load-config.ts';
import type { Logger } from '../log.ts';
import type { PurgePlan } from '../plan/plan-purges.ts';
import { createProviders } from '../providers/index.ts';
import type { BaselineStore } from './baseline-store.ts';
import { prepareRelease, type Release } from './deploy.ts';

/** What `plan --json` prints: the purge plan with the diff, the files to touch and the baseline. */
export type PlanDocument = PurgePlan & {
  readonly diff: Release['diff'];
  readonly touch: readonly string[];
  readonly origin: Release['origin'];
  readonly baseline: { readonly path: string; readonly found: boolean };
};

/**
 * What deploy would do, as a document: scan, diff against the stored baseline, plan. Sends
 * nothing, so the providers need their capabilities, not their credentials. The CLI's `plan`
 * and the Action's plan step both call it.
 */
export async function planRelease(
  config: ResolvedConfig,
  options: {
    readonly env: NodeJS.ProcessEnv;
    readonly log: Logger;
    readonly signal?: AbortSignal;
    readonly store: BaselineStore;
  },
): Promise<{ release: Release; document: PlanDocument }> {
  const providers = createProviders(config.providers, options.env, { credentials: false });
  const release = await prepareRelease(
    config,
    providers,
    options.log,
    options.signal,
    options.store,
  ).finally(() => Promise.all(providers.map((provider) => provider.close?.())));
  const document: PlanDocument = {
    ...release.plan,
    diff: release.diff,
    touch: release.toTouch,
    origin: release.origin,
    baseline: { path: options.store.location, found: release.hadBaseline },
  };
  return { release, document };
}
