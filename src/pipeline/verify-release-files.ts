import type { ResolvedConfig } from '../config/load-config.ts';
import type { Logger } from '../log.ts';
import { diffPackedManifests } from '../manifest/diff-packed-manifests.ts';
import { emptyPackedManifest, type PackedManifest } from '../manifest/packed-manifest.ts';
import { scanDirPacked } from '../manifest/scan-dir.ts';
import { resolveOriginStyle } from '../origin/resolve-origin-style.ts';
import { releaseId } from '../purge/journal.ts';
import { parseConnectTo } from '../verify/connect-to.ts';
import { createHttpClient } from '../verify/http-client.ts';
import type { VerifyReport } from '../verify/report-types.ts';
import { configDigest, type Shard, selectShard } from '../verify/shard.ts';
import { verifyTargets } from '../verify/targets.ts';
import { type VerifyOptions, verifyRelease } from '../verify/verify-release.ts';
import { withVantage } from './with-vantage.ts';

/**
 * The checks alone, as `edgepurge verify` and the Action's verify step run them. The release is
 * `manifest` (default: a scan of `dir`); with `previous` only what changed since it is checked
 * (and removed files must be gone), else every file of the release.
 */
export async function verifyReleaseFiles(
  config: ResolvedConfig,
  options: {
    readonly manifest?: PackedManifest;
    readonly previous?: PackedManifest;
    readonly signal: AbortSignal;
    readonly log: Logger;
    readonly onProgress?: VerifyOptions['onProgress'];
    /** `--shard I/N`: verify only this part of the URLs (by a hash of each URL). */
    readonly shard?: Shard;
    /** Where `GLOBALPING_TOKEN` is read (verify.vantage). Default: none. */
    readonly env?: NodeJS.ProcessEnv;
  },
): Promise<VerifyReport> {
  const manifest =
    options.manifest ?? (await scanDirPacked(config.dir, { signal: options.signal }));
  // No HEAD requests to guess the style here: `auto` takes the default.
  const style = resolveOriginStyle(config.origin.validators, undefined);
  const previous = options.previous ?? emptyPackedManifest();
  const diff = diffPackedManifests(previous, manifest, { style });
  const all = verifyTargets(diff, manifest, config.baseUrl, config.urls);
  const release = releaseId(previous, manifest);
  const targets = options.shard === undefined ? all : selectShard(all, options.shard);
  if (options.shard !== undefined)
    options.log.info(
      `shard ${options.shard.index}/${options.shard.count}: ${targets.length} of ${all.length} URLs`,
    );
  const client = createHttpClient({
    connectTo: parseConnectTo(config.verify.connectTo),
    connections: config.verify.concurrency,
  });
  const origin = config.verify.origin;
  // The origin is asked directly (no connect-to rules): its own pool.
  const originClient =
    origin === undefined ? undefined : createHttpClient({ connections: config.verify.concurrency });
  try {
    const local = await verifyRelease(client, targets, new Map(), {
      onProgress: options.onProgress,
      timeoutMs: config.verify.timeoutSeconds * 1000,
      concurrency: config.verify.concurrency,
      signal: options.signal,
      log: options.log,
      policy: config.policy,
      // With a previous release, its recorded validators (what browsers hold) are asked too.
      ...(options.previous === undefined ? {} : { held: options.previous.validators ?? {} }),
      ...(originClient !== undefined && origin !== undefined
        ? { origin: { client: originClient, baseUrl: origin } }
        : {}),
    });
    const verified = await withVantage(config, local, {
      targets: all,
      manifest,
      release,
      env: options.env ?? {},
      signal: options.signal,
      log: options.log,
    });
    return options.shard === undefined
      ? verified
      : {
          ...verified,
          shard: { ...options.shard, release, config: configDigest(config), total: all.length },
        };
  } finally {
    await Promise.all([client.close(), originClient?.close()]);
  }
}
