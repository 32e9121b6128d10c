import type { ProbeResponse } from '../http-client.ts';
import type { Check } from '../report-types.ts';
import { failed, passed, short } from './check.ts';

/** The origin-stale sentence, as the diagnosis names it. */
export const UPLOAD_MISSED = 'the upload did not reach the origin';

/** The edge-stale sentence: the origin has the new bytes, the edge does not. */
export const PURGE_MISSED = 'the purge did not take at the edge';

/**
 * `origin`: the origin, asked directly with the public Host, serves the manifest's bytes (or,
 * for a removed file, 404/410). Its failure is the diagnosis "origin-stale".
 */
export function originCheck(
  url: string,
  expected: { readonly sha256: string } | 'gone',
  response: ProbeResponse,
): Check {
  if (expected === 'gone') {
    const seen = String(response.status);
    if (response.status === 404 || response.status === 410)
      return passed('origin', url, '404 or 410', seen);
    return failed(
      'origin',
      url,
      '404 or 410',
      seen,
      `the origin still serves the removed file: ${UPLOAD_MISSED} (sync with --delete)`,
    );
  }
  const want = `200, sha256 ${short(expected.sha256)}`;
  const seen =
    response.status === 200 ? `200, sha256 ${short(response.sha256)}` : String(response.status);
  if (response.status === 200 && response.sha256 === expected.sha256)
    return passed('origin', url, want, seen);
  const what =
    response.status === 200
      ? 'the origin serves other bytes'
      : `the origin answers ${response.status}`;
  return failed('origin', url, want, seen, `${what}: ${UPLOAD_MISSED}`);
}

/**
 * The origin's compressed variant decodes to other bytes while its plain file is right: a
 * precompressed `.gz`/`.br` beside the file was not rebuilt (nginx `gzip_static`, S3 uploads
 * of pre-encoded files). Replaces a passing `origin` check.
 */
export function originVariantCheck(url: string, sha256: string, response: ProbeResponse): Check {
  const coding = response.decoded ?? 'compressed';
  return failed(
    'origin',
    url,
    `200, sha256 ${short(sha256)} in every encoding`,
    `${coding} variant: ${response.status}, sha256 ${short(response.sha256)}`,
    `the origin's ${coding} variant is stale (a precompressed file left from an earlier build?): ${UPLOAD_MISSED}; rebuild and upload the compressed files`,
  );
}

/** The origin could not be asked: no diagnosis can be made from it. */
export function originErrorCheck(url: string, error: string): Check {
  return failed(
    'origin',
    url,
    'an answer from the origin',
    error,
    `the origin (verify.origin) could not be reached: ${error}`,
  );
}
