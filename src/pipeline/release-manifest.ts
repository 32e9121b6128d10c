import type { ResolvedConfig } from '../config/load-config.ts';
import { InputError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { PackedManifest } from '../manifest/packed-manifest.ts';

/** Where a release manifest given to `planRelease` came from, for its errors and the document. */
export interface ManifestSource {
  /** The manifest file (the document records it); none for one built in memory. */
  readonly path?: string;
  /** The flag or input that named it (errors name it): `--manifest` for the CLI. */
  readonly at: string;
}

/** A release given as a manifest (`plan --manifest`) instead of a scan of `config.dir`. */
export interface ReleaseManifest {
  readonly manifest: PackedManifest;
  readonly source: ManifestSource;
}

/**
 * Checks a release manifest against the config before anything is planned from it (the hash
 * fix cannot use one; it must be this site's) and says where the release comes from.
 */
export function checkReleaseManifest(
  config: Pick<ResolvedConfig, 'fix' | 'baseUrl' | 'dir'>,
  { manifest, source }: ReleaseManifest,
  log: Logger,
): void {
  refuseHashFixWith(config, source.at);
  checkManifestBaseUrl(config, manifest, source);
  log.info(
    `manifest: ${manifest.files.count} files from ${source.path ?? 'the given manifest'} (not scanning ${config.dir})`,
  );
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
