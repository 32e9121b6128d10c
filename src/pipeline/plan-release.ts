import type { ResolvedConfig } from '../config/load-config.ts';
import type { Logger } from '../log.ts';
import type { PackedManifest } from '../manifest/packed-manifest.ts';
import { createProviders } from '../providers/index.ts';
import { createRedactor, type Redactor } from '../redact.ts';
import type { BaselineStore } from './baseline-store.ts';
import { prepareRelease, type Release } from './deploy.ts';
import { type PlanDocument, planDocument } from './plan-document.ts';
import type { ManifestSource } from './release-manifest.ts';

export type { PlanDocument } from './plan-document.ts';
export type { ManifestSource } from './release-manifest.ts';

/**
 * What deploy would do, as a document: scan, diff against the stored baseline, plan. Sends
 * nothing, so the providers need their capabilities, not their credentials. The CLI's `plan`
 * and the Action's plan step both call it. With `manifest` (`plan --manifest`), the release is
 * that manifest instead of a scan of `config.dir`; `deploy --plan` still re-scans the tree and
 * refuses the plan when the tree is not what the manifest says.
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
    /** The release, as `edgepurge manifest DIR` wrote it: planned from instead of scanning. */
    readonly manifest?: PackedManifest;
    /** Where `manifest` came from (default: a manifest the caller passed). */
    readonly manifestSource?: ManifestSource;
  },
): Promise<{ release: Release; document: PlanDocument }> {
  const source = options.manifestSource ?? { at: 'manifest' };
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
    undefined,
    options.manifest === undefined ? undefined : { manifest: options.manifest, source },
  ).finally(() => Promise.all(providers.map((provider) => provider.close?.())));
  const document = planDocument(release, config, options.store.location);
  return {
    release,
    document:
      options.manifest === undefined
        ? document
        : {
            ...document,
            manifest: {
              ...(source.path === undefined ? {} : { path: source.path }),
              createdAt: options.manifest.createdAt,
              files: options.manifest.files.count,
            },
          },
  };
}
