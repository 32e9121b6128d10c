import type { HttpClient } from '../verify/http-client.ts';
import { originRequestFor } from '../verify/origin.ts';
import type { FetchLike } from './detect-origin-style.ts';
import type { FileVersion, OriginStyle, ValidatorsSetting } from './origin-style.ts';

/**
 * The style the planner and verifier use: the configured one, or for `auto` the detected one,
 * else `nginx`: whole seconds and size, the coarsest mtime ETag, so the one that finds the
 * most `validator-unchanged` hazards (a needless touch costs one download; a missed one, a
 * stale file for good).
 */
export function resolveOriginStyle(
  setting: ValidatorsSetting,
  detected: OriginStyle | undefined,
): OriginStyle {
  if (setting !== 'auto') return setting;
  return detected ?? 'nginx';
}

/**
 * The files worth asking the origin about for `auto`: unchanged since the baseline (same bytes,
 * size and mtime), so the origin already serves them with the mtime the manifest holds. Sorted,
 * at most `count`. A first deploy has none: the caller falls back to the default style.
 */
export function styleSamplePaths(
  previous: Readonly<Record<string, FileVersion>>,
  next: Readonly<Record<string, FileVersion>>,
  count = 3,
): string[] {
  const paths: string[] = [];
  for (const path of Object.keys(next).sort()) {
    const before = Object.hasOwn(previous, path) ? previous[path] : undefined;
    const now = next[path];
    if (before === undefined || now === undefined) continue;
    if (before.sha256 !== now.sha256 || before.size !== now.size) continue;
    if (before.mtimeMs !== now.mtimeMs) continue;
    paths.push(path);
    if (paths.length >= count) break;
  }
  return paths;
}

/**
 * edgepurge's HTTP client (connect-to rules, pooled) as the fetch detection takes. With
 * `origin` (`verify.origin`), a public URL is asked of the origin directly with the public Host
 * header, as the verifier does; without it, of the edge the client reaches.
 */
export function probeFetch(client: HttpClient, options: { origin?: string } = {}): FetchLike {
  return async (url, init) => {
    const target =
      options.origin === undefined
        ? { url, host: undefined }
        : originRequestFor(options.origin, url);
    const response = await client.probe(target.url, {
      method: init.method,
      headers: { ...init.headers, ...(target.host === undefined ? {} : { host: target.host }) },
      signal: init.signal,
    });
    return {
      status: response.status,
      headers: { get: (name: string) => response.headers[name.toLowerCase()] ?? null },
    };
  };
}
