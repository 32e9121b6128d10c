import type { ProbeResponse } from '../http-client.ts';
import type { Check } from '../report-types.ts';
import { failed, passed, short } from './check.ts';

/** Types worth compressing, so an edge may hold a gzip or br variant of them. */
const COMPRESSIBLE =
  /^(?:text\/|image\/svg\+xml|font\/(?:ttf|otf)|application\/(?:javascript|ecmascript|x-javascript|json|xml|wasm|vnd\.ms-fontobject|[\w.-]+\+(?:json|xml))\b)/i;

/** Whether a response's `Content-Type` is one edges compress. */
export function isCompressible(contentType: string | undefined): boolean {
  return contentType !== undefined && COMPRESSIBLE.test(contentType.trim());
}

/**
 * Whether the plain answer says a compressed variant may exist beside it, so asking for one is
 * worth a request: a compressible type, and either `Vary` naming Accept-Encoding (how a cache
 * keys separate encodings, RFC 9110 12.5.5; Cloudflare, Fastly and nginx `gzip_vary` send it) or
 * a weak ETag (Varnish and Cloudflare weaken it when they decode or encode a stored object).
 * Without either, the edge holds one representation and the plain answer already proved it.
 */
export function mayHaveVariant(headers: Readonly<Record<string, string>>): boolean {
  if (!isCompressible(headers['content-type'])) return false;
  const vary = (headers.vary ?? '').toLowerCase().split(',');
  if (vary.some((name) => name.trim() === 'accept-encoding' || name.trim() === '*')) return true;
  return headers.etag?.startsWith('W/') === true;
}

/**
 * What an answer was: a status, or the body's hash with notes (its coding, whether it is the
 * body the edge served before the purge).
 */
function describeBody(
  response: ProbeResponse,
  previousSha256: string | undefined,
  coding?: string,
): string {
  if (response.status !== 200) return String(response.status);
  const notes = [coding, previousSha256 === response.sha256 ? 'the previous body' : undefined];
  const note = notes.filter((n) => n !== undefined).join(', ');
  return `200, sha256 ${short(response.sha256)}${note === '' ? '' : ` (${note})`}`;
}

/**
 * `body`: the edge answers 200 with the manifest's bytes (identity encoding). `layerHint` ends
 * the message when the origin was checked: which layer kept the old bytes.
 */
export function bodyCheck(
  url: string,
  sha256: string,
  response: ProbeResponse,
  previousSha256: string | undefined,
  layerHint?: string,
): Check {
  const expected = `200, sha256 ${short(sha256)}`;
  const seen = describeBody(response, previousSha256);
  if (response.status === 200 && response.sha256 === sha256)
    return passed('body', url, expected, seen);
  const why =
    response.status !== 200
      ? `answers ${response.status}, expected 200 with the new body`
      : previousSha256 === response.sha256
        ? 'the edge still serves the previous body'
        : `body sha256 ${short(response.sha256)} differs from the manifest's ${short(sha256)}`;
  return failed(
    'body',
    url,
    expected,
    seen,
    layerHint === undefined ? why : `${why}: ${layerHint}`,
  );
}

/**
 * `variant`: a compressed answer (gzip, br) decodes to the manifest's bytes. Edges keep each
 * encoding as its own cache entry (Cloudflare, Fastly; Varnish stores the gzip it was sent), so
 * one can be stale while the other is fresh. `undefined` when the answer was not compressed.
 */
export function variantCheck(
  url: string,
  sha256: string,
  response: ProbeResponse,
  previousSha256: string | undefined,
  layerHint?: string,
): Check | undefined {
  const coding = response.decoded;
  if (coding === undefined) return undefined;
  const expected = `200, decodes to sha256 ${short(sha256)}`;
  const seen = describeBody(response, previousSha256, coding);
  if (response.status === 200 && response.sha256 === sha256)
    return passed('variant', url, expected, seen);
  const why =
    response.status !== 200
      ? `the ${coding} variant answers ${response.status}`
      : `the ${coding} variant decodes to other bytes than the manifest's (variants are separate cache entries)`;
  return failed(
    'variant',
    url,
    expected,
    seen,
    layerHint === undefined ? why : `${why}: ${layerHint}`,
  );
}

/** A variant probe that failed outright (a corrupt gzip or br stream, a reset). */
export function variantErrorCheck(url: string, sha256: string, error: string): Check {
  return failed(
    'variant',
    url,
    `200, decodes to sha256 ${short(sha256)}`,
    error,
    `the compressed variant could not be fetched and decoded: ${error}`,
  );
}

/** `removed`: a file deleted from the release answers 404 or 410. */
export function removedCheck(url: string, response: ProbeResponse, layerHint?: string): Check {
  const seen = String(response.status);
  if (response.status === 404 || response.status === 410)
    return passed('removed', url, '404 or 410', seen);
  const why = `removed file still answers ${response.status} at the edge`;
  return failed(
    'removed',
    url,
    '404 or 410',
    seen,
    layerHint === undefined ? why : `${why}: ${layerHint}`,
  );
}
