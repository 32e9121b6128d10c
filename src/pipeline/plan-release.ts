import type { ResolvedConfig } from '../config/load-config.ts';
import type { Logger } from '../log.ts';
import { createProviders } from '../providers/index.ts';
import { createRedactor, type Redactor } from '../redact.ts';
import type { BaselineStore } from './baseline-store.ts';
import { prepareRelease, type Release } from './deploy.ts';
import { type PlanDocument, planDocument } from './plan-document.ts';

export type { PlanDocument } from './plan-document.ts';

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
    /** Learns the credentials the providers read (the run's; default a new one). */
    readonly redactor?: Redactor;
  },
): Promise<{ release: Release; document: PlanDocument }> {
  const providers = createProviders(config.providers, options.env, {
    credentials: false,
    redactor: options.redactor ?? createRedactor(),
  });
  const release = await prepareRelease(
    config,
    providers,
    options.log,
    options.signal,
    options.store,
  ).finally(() => Promise.all(providers.map((provider) => provider.close?.())));
  return { release, document: planDocument(release, config, options.store.location) };
}
