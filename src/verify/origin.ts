import { describeError } from './checks/check.ts';
import { originCheck, originErrorCheck, originVariantCheck } from './checks/origin-check.ts';
import type { HttpClient, ProbeRequest, ProbeResponse } from './http-client.ts';
import type { Check } from './report-types.ts';
import { COMPRESSED, IDENTITY } from './snapshot.ts';

/** `verify.origin`: the server behind the CDN, asked directly (the runbook's step 3). */
export interface OriginTarget {
  /** A plain client (no connect-to rules): requests go to `baseUrl` itself. */
  readonly client: HttpClient;
  /** `http://10.0.0.7:8080` (a path is a prefix the public paths are appended to). */
  readonly baseUrl: string;
}

/**
 * The origin's address for a public URL, and the Host header that names the site:
 * `https://www.example.com/a.js?v=2` with origin `http://10.0.0.7:8080` →
 * `http://10.0.0.7:8080/a.js?v=2`, Host `www.example.com`. Pure.
 */
export function originRequestFor(
  baseUrl: string,
  publicUrl: string,
): { url: string; host: string } {
  const origin = new URL(baseUrl);
  const target = new URL(publicUrl);
  const prefix = origin.pathname.replace(/\/+$/, '');
  return { url: `${origin.origin}${prefix}${target.pathname}${target.search}`, host: target.host };
}

/**
 * GET a public URL from the origin with the public Host header, as
 * `curl -H 'Host: www.example.com' http://origin/path`. Redirects are not followed: the
 * verifier asks for the URL the edge's chain ended at.
 */
export function probeOrigin(
  origin: OriginTarget,
  publicUrl: string,
  init: ProbeRequest,
): Promise<ProbeResponse> {
  const { url, host } = originRequestFor(origin.baseUrl, publicUrl);
  return origin.client.probe(url, { ...init, headers: { ...init.headers, host } });
}

/** What the origin said about one URL: the `origin` check, and its state for the diagnosis. */
export interface OriginVerdict {
  readonly check: Check;
  readonly state: 'fresh' | 'stale' | 'unreachable';
  /** The ETag the origin sent (identity), for verify to say why it is not the predicted one. */
  readonly etag?: string;
}

/**
 * The `origin` check for one URL: the origin serves the manifest's bytes (or, `gone`, answers
 * 404/410). With `variantStale` (the edge's compressed variant was wrong) and a right plain
 * file, the origin's own compressed variant is asked for too: a precompressed `.gz` beside the
 * file (nginx `gzip_static`) may be what is stale.
 */
export async function checkOrigin(
  origin: OriginTarget,
  url: string,
  expected: { readonly sha256: string } | 'gone',
  options: { readonly signal: AbortSignal; readonly variantStale?: boolean },
): Promise<OriginVerdict> {
  const { signal } = options;
  let check: Check;
  let etag: string | undefined;
  try {
    const response = await probeOrigin(origin, url, { headers: IDENTITY, signal });
    etag = response.headers.etag;
    check = originCheck(url, expected, response);
  } catch (error) {
    return { check: originErrorCheck(url, describeError(error)), state: 'unreachable' };
  }
  const sent = etag === undefined ? {} : { etag };
  if (!check.ok) return { check, state: 'stale', ...sent };
  if (options.variantStale === true && expected !== 'gone') {
    const answer = await probeOrigin(origin, url, {
      headers: COMPRESSED,
      signal,
      decode: true,
    }).catch(() => undefined);
    if (
      answer?.decoded !== undefined &&
      (answer.status !== 200 || answer.sha256 !== expected.sha256)
    ) {
      return { check: originVariantCheck(url, expected.sha256, answer), state: 'stale', ...sent };
    }
  }
  return { check, state: 'fresh', ...sent };
}
