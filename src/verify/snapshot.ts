import pLimit from 'p-limit';
import { followRedirects } from './follow-redirects.ts';
import type { HttpClient } from './http-client.ts';

/** What the edge served for a URL before the purge: the "before" of the runbook's step 1. */
export interface EdgeSnapshot {
  readonly status: number;
  readonly etag?: string;
  readonly lastModified?: string;
  readonly sha256: string;
  readonly cacheStatus?: string;
}

/** Identity encoding, so the body hash compares with the manifest's hash of the file. */
export const IDENTITY = { 'accept-encoding': 'identity' } as const;

/** What a browser asks for: the encodings edgepurge can decode to compare with the manifest. */
export const COMPRESSED = { 'accept-encoding': 'gzip, br' } as const;

/**
 * Fetches each URL through the edge and records what it serves, at the end of its redirects
 * (where the verifier compares). A URL that cannot be fetched has no snapshot (the verifier
 * then skips the before/after comparison for it).
 */
export async function snapshotUrls(
  client: HttpClient,
  urls: readonly string[],
  options: { concurrency: number; signal: AbortSignal },
): Promise<Map<string, EdgeSnapshot>> {
  const limit = pLimit(options.concurrency);
  const out = new Map<string, EdgeSnapshot>();
  await Promise.all(
    urls.map((url) =>
      limit(async () => {
        try {
          const { response } = await followRedirects(client, url, {
            headers: IDENTITY,
            signal: options.signal,
          });
          out.set(url, {
            status: response.status,
            etag: response.headers.etag,
            lastModified: response.headers['last-modified'],
            sha256: response.sha256,
            cacheStatus: cacheStatusOf(response.headers),
          });
        } catch {
          // Unreachable before the purge: nothing to compare with afterwards.
        }
      }),
    ),
  );
  return out;
}

/** The cache status a CDN or proxy reports, from the headers vendors use. */
export function cacheStatusOf(headers: Readonly<Record<string, string>>): string | undefined {
  return headers['cf-cache-status'] ?? headers['x-cache'] ?? headers['x-varnish-cache'];
}

/** ETags compare weakly: `W/"x"` and `"x"` name the same representation (RFC 9110 8.8.3.2). */
export function sameEtag(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return a.replace(/^W\//, '') === b.replace(/^W\//, '');
}
