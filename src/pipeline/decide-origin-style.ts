import type { ResolvedConfig } from '../config/load-config.ts';
import type { Logger } from '../log.ts';
import { type PackedManifest, packedFileEntry, sameSha } from '../manifest/packed-manifest.ts';
import { detectOriginStyle } from '../origin/detect-origin-style.ts';
import type { OriginStyle, ValidatorsSetting } from '../origin/origin-style.ts';
import { probeFetch, resolveOriginStyle } from '../origin/resolve-origin-style.ts';
import { absoluteUrl, urlPathsFor } from '../plan/map-urls.ts';
import { parseConnectTo } from '../verify/connect-to.ts';
import {
  createHttpClient,
  type HttpClient,
  type HttpClientOptions,
} from '../verify/http-client.ts';

/** How the origin builds validators, and why edgepurge thinks so (plan and report show it). */
export interface OriginDecision {
  readonly setting: ValidatorsSetting;
  readonly style: OriginStyle;
  /** One line a sample: the URL asked, what it sent, what that matched. */
  readonly evidence: readonly string[];
}

/** A HEAD to guess the style must not hold up a plan: a short timeout, three files at most. */
const DETECT_TIMEOUT_MS = 3000;

/**
 * `origin.validators`: the configured style, or for `auto` the style the origin's (through
 * `verify.origin`) or else the edge's ETags for a few unchanged files match. Read-only HEAD
 * requests; with nothing to ask (a first deploy) the default is nginx's (see
 * resolveOriginStyle), which finds the most hazards.
 */
export async function decideOriginStyle(
  config: ResolvedConfig,
  previous: PackedManifest,
  next: PackedManifest,
  log: Logger,
  signal?: AbortSignal,
  httpClient: (options: HttpClientOptions) => HttpClient = createHttpClient,
): Promise<OriginDecision> {
  const setting = config.origin.validators;
  if (setting !== 'auto') return { setting, style: setting, evidence: ['configured'] };
  const paths = packedStyleSamplePaths(previous, next);
  if (paths.length === 0) {
    const style = resolveOriginStyle(setting, undefined);
    return {
      setting,
      style,
      evidence: [`no unchanged file to ask the origin about (first deploy): assuming ${style}`],
    };
  }
  const origin = config.verify.origin;
  const client = httpClient({
    connectTo: origin === undefined ? parseConnectTo(config.verify.connectTo) : [],
    connections: paths.length,
    timeoutMs: DETECT_TIMEOUT_MS,
  });
  try {
    const samples = paths.flatMap((index) => {
      const file = packedFileEntry(next.files, index);
      const urlPath = urlPathsFor(next.files.paths.at(index), config.urls)[0];
      return urlPath === undefined ? [] : [{ url: absoluteUrl(config.baseUrl, urlPath), file }];
    });
    const detection = await detectOriginStyle(
      probeFetch(client, origin === undefined ? {} : { origin }),
      samples,
      { signal },
    );
    for (const warning of detection.warnings) log.warn(warning);
    const style = resolveOriginStyle(setting, detection.style);
    log.info(
      `origin: ${style} validators (${detection.style === undefined ? 'default' : 'detected'})`,
    );
    return {
      setting,
      style,
      evidence: detection.samples.map((sample) => `${sample.url}: ${sample.evidence}`),
    };
  } finally {
    await client.close();
  }
}

/**
 * `styleSamplePaths` on the packed form, as indexes into `next`: the first `count` files, in
 * path order, that are in both releases with the same bytes, size and mtime. One merge of the
 * sorted path columns, stopping at `count`. Pure.
 */
function packedStyleSamplePaths(
  previous: PackedManifest,
  next: PackedManifest,
  count = 3,
): number[] {
  const before = previous.files;
  const now = next.files;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < before.count && j < now.count && out.length < count) {
    const order = before.paths.compare(i, now.paths, j);
    if (order < 0) i++;
    else if (order > 0) j++;
    else {
      if (
        sameSha(before, i, now, j) &&
        before.sizes[i] === now.sizes[j] &&
        before.mtimes[i] === now.mtimes[j]
      )
        out.push(j);
      i++;
      j++;
    }
  }
  return out;
}
