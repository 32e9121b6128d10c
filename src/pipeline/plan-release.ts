import type { ResolvedConfig } from '../config/load-config.ts';
import { InputError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { PackedManifest } from '../manifest/packed-manifest.ts';
import { createProviders } from '../providers/index.ts';
import { createRedactor, type Redactor } from '../redact.ts';
import type { BaselineStore } from './baseline-store.ts';
import { prepareRelease, type Release } from './deploy.ts';
import { type PlanDocument, planDocument } from './plan-document.ts';

export type { PlanDocument } from './plan-document.ts';

/** Where a release manifest given to `planRelease` came from, for its errors and the document. */
export interface ManifestSource {
  /** The manifest file (the document records it); none for one built in memory. */
  readonly path?: string;
  /** The flag or input that named it (errors name it): `--manifest` for the CLI. */
  readonly at: string;
}

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
  if (options.manifest !== undefined) {
    refuseHashFixWith(config, source.at);
    checkManifestBaseUrl(config, options.manifest, source);
    options.log.info(
      `manifest: ${options.manifest.files.count} files from ${source.path ?? 'the given manifest'} (not scanning ${config.dir})`,
    );
  }
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
    options.manifest,
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

/**
 * Refuses a release manifest with `fix: "hash"`: the hash fix reads and rewrites the files
 * themselves (their references), which a manifest does not hold. `at` names the flag.
 */
export function refuseHashFixWith(config: Pick<ResolvedConfig, 'fix'>, at: string): void {
  if (config.fix !== 'hash') return;
  throw new InputError(
    'E_USAGE',
    `${at} cannot be used with fix "hash": the hash fix reads the files, not a manifest`,
    {
      at,
      hint: `drop ${at} to let plan scan the tree, or plan with --fix touch or --fix none`,
    },
  );
}

/**
 * Refuses a manifest scanned for another site: its `baseUrl` (`manifest --base-url`), when it
 * has one, must be the config's. The origins are compared (a trailing slash, a default port or
 * the letter case of the host do not differ).
 */
function checkManifestBaseUrl(
  config: Pick<ResolvedConfig, 'baseUrl'>,
  manifest: PackedManifest,
  source: ManifestSource,
): void {
  if (manifest.baseUrl === undefined) return;
  if (originOf(manifest.baseUrl) === originOf(config.baseUrl)) return;
  throw new InputError(
    'E_MANIFEST',
    `the manifest${source.path === undefined ? '' : ` ${source.path}`} was made for ${manifest.baseUrl}, but baseUrl is ${config.baseUrl}`,
    {
      at: source.at,
      hint: `plan with the manifest of this site (\`edgepurge manifest DIR --base-url ${config.baseUrl} --out FILE\`), or set baseUrl (--base-url) to ${manifest.baseUrl}`,
    },
  );
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
