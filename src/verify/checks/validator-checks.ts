import type { ProbeResponse } from '../http-client.ts';
import type { Check } from '../report-types.ts';
import type { EdgeSnapshot } from '../snapshot.ts';
import { sameEtag } from '../snapshot.ts';
import { failed, passed, short } from './check.ts';

/**
 * Whether the snapshot's validators belonged to the previous bytes: the edge served those, or
 * the release kept the file's size and mtime and nothing fixed it (the edge may already have
 * refetched the new bytes under the old mtime-size ETag). Only then must the validators change.
 */
export function validatorsMustChange(
  before: EdgeSnapshot | undefined,
  sha256: string,
  validatorKept: boolean,
): before is EdgeSnapshot {
  if (before === undefined || before.status !== 200) return false;
  return before.sha256 !== sha256 || validatorKept;
}

/**
 * `etag-changed`: the ETag the edge serves now differs from the snapshot's. Compared weakly
 * (RFC 9110 8.8.3.2): Varnish and Cloudflare add `W/` when they compress, which does not make it
 * a new validator. Waiting cannot change a failure: the origin builds the same ETag. `why` is
 * the origin model's explanation of the ETag seen (src/origin `explainEtag`: "origin still
 * serves the pre-touch ETag: the upload did not keep mtimes…"), added to a failure's message.
 */
export function etagChangedCheck(
  url: string,
  before: string,
  now: string | undefined,
  why?: string,
): Check {
  const expected = `an ETag other than ${before}`;
  const seen = now ?? '(none)';
  if (!sameEtag(now, before)) return passed('etag-changed', url, expected, seen);
  const message = `ETag ${before} did not change though the content did: clients that hold it get 304 and keep the old file (fix: "touch", or content-based ETags at the origin)`;
  return failed(
    'etag-changed',
    url,
    expected,
    seen,
    why === undefined ? message : `${message}; why: ${why}`,
  );
}

/**
 * `conditional-etag`: `If-None-Match: <old ETag>` gets 200 and the new body, not 304. `whose`
 * names the ETag in the message ("the old ETag", "the ETag browsers hold: recorded …").
 */
export function conditionalEtagCheck(
  url: string,
  sha256: string,
  oldEtag: string,
  response: ProbeResponse,
  whose = 'the old ETag',
): Check {
  return conditionalCheck(
    'conditional-etag',
    url,
    sha256,
    `If-None-Match: ${oldEtag}`,
    whose,
    response,
  );
}

/** `conditional-date`: `If-Modified-Since: <old Last-Modified>` gets 200 and the new body. */
export function conditionalDateCheck(
  url: string,
  sha256: string,
  oldLastModified: string,
  response: ProbeResponse,
  newLastModified: string | undefined,
  whose = 'the old Last-Modified',
): Check {
  const check = conditionalCheck(
    'conditional-date',
    url,
    sha256,
    `If-Modified-Since: ${oldLastModified}`,
    whose,
    response,
  );
  if (check.ok || !lastModifiedKept(oldLastModified, newLastModified)) return check;
  return {
    ...check,
    message: `${check.message}: Last-Modified ${newLastModified ?? '(none)'} did not move past it though the content changed (fix: "touch")`,
  };
}

/**
 * Whether the new Last-Modified is not later than the old one, so every cache answers 304 to
 * the old date for good (RFC 9110 13.1.3): waiting cannot fix it.
 */
export function lastModifiedKept(before: string, now: string | undefined): boolean {
  if (now === undefined) return false;
  const old = Date.parse(before);
  const next = Date.parse(now);
  return Number.isFinite(old) && Number.isFinite(next) && next <= old;
}

function conditionalCheck(
  id: 'conditional-etag' | 'conditional-date',
  url: string,
  sha256: string,
  header: string,
  whose: string,
  response: ProbeResponse,
): Check {
  const expected = `200, sha256 ${short(sha256)}`;
  const seen =
    response.status === 200 ? `200, sha256 ${short(response.sha256)}` : String(response.status);
  const sent = `${header} (${whose})`;
  if (response.status === 200 && response.sha256 === sha256)
    return { ...passed(id, url, expected, seen), sent };
  return {
    ...failed(
      id,
      url,
      expected,
      seen,
      response.status === 304
        ? `${sent} gets 304: a browser holding it keeps the old file`
        : `${sent} answers ${response.status} without the new body`,
    ),
    sent,
  };
}

/** A failed check whose message also says why the ETag seen is not the predicted one. */
export function withWhy(check: Check, why: string | undefined): Check {
  if (check.ok || why === undefined || check.message === undefined) return check;
  if (check.message.includes(why)) return check;
  return { ...check, message: `${check.message}; why: ${why}` };
}
