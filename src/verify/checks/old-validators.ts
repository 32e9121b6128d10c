import type { RecordedValidators } from '../../manifest/manifest.ts';
import { type EdgeSnapshot, sameEtag } from '../snapshot.ts';
import { validatorsMustChange } from './validator-checks.ts';

/**
 * Where an old validator comes from:
 * - `recorded`: the baseline recorded it when the previous release was verified; browsers that
 *   fetched that release hold it. Always the previous bytes' validator.
 * - `snapshot`: the edge served it just before the purge, with the previous bytes (or with
 *   the new bytes under a validator that the fix changed since).
 */
export type OldValidatorSource = 'recorded' | 'snapshot';

export interface OldValidator {
  readonly value: string;
  readonly source: OldValidatorSource;
  /**
   * The validator named the previous bytes, so the current one must differ from it
   * (`etag-changed`; for a date, a 304 is final). False for a snapshot of the new bytes under
   * a validator since changed: only the conditional request is asked.
   */
  readonly mustChange: boolean;
}

/** The ETags and dates a changed URL is asked conditionally with; each answer must be 200. */
export interface OldValidators {
  readonly etags: readonly OldValidator[];
  readonly dates: readonly OldValidator[];
}

/**
 * The validators clients may still hold for a URL whose bytes changed: the recorded ones
 * (whatever the snapshot found: after a failed run the edge already serves the new bytes under
 * the old ETag, and browsers still hold that ETag with the old bytes) and the snapshot's. A
 * snapshot of the new bytes counts only with a validator other than the one served now (the
 * current validator rightly gets 304). Equal validators are asked once, recorded first. Pure.
 */
export function oldValidators(
  target: { readonly sha256: string; readonly changed: boolean; readonly validatorKept: boolean },
  before: EdgeSnapshot | undefined,
  recorded: RecordedValidators | undefined,
  now: { readonly etag?: string; readonly lastModified?: string },
): OldValidators {
  const etags: OldValidator[] = [];
  const dates: OldValidator[] = [];
  const addEtag = (value: string | undefined, source: OldValidatorSource, mustChange: boolean) => {
    if (value === undefined || etags.some((old) => sameEtag(old.value, value))) return;
    etags.push({ value, source, mustChange });
  };
  const addDate = (value: string | undefined, source: OldValidatorSource, mustChange: boolean) => {
    if (value === undefined || dates.some((old) => sameDate(old.value, value))) return;
    dates.push({ value, source, mustChange });
  };
  // Recorded validators belong to the previous release's bytes only when the bytes changed.
  if (target.changed && recorded !== undefined) {
    addEtag(recorded.etag, 'recorded', true);
    addDate(recorded.lastModified, 'recorded', true);
  }
  // A type guard narrows its argument: `snapshot` is the one narrowed, `before` stays whole.
  const snapshot = before;
  if (validatorsMustChange(snapshot, target.sha256, target.validatorKept)) {
    addEtag(snapshot.etag, 'snapshot', true);
    addDate(snapshot.lastModified, 'snapshot', true);
  } else if (before?.status === 200) {
    if (before.etag !== undefined && now.etag !== undefined && !sameEtag(before.etag, now.etag))
      addEtag(before.etag, 'snapshot', false);
    if (before.lastModified !== undefined && later(now.lastModified, before.lastModified))
      addDate(before.lastModified, 'snapshot', false);
  }
  return { etags, dates };
}

/** How a check names the validator it sent, so a reader knows whose it was. */
export function describeOld(kind: 'ETag' | 'Last-Modified', old: OldValidator): string {
  if (old.source === 'recorded')
    return `the ${kind} browsers hold: recorded when the previous release was verified`;
  return old.mustChange ? `the old ${kind}` : `the ${kind} the edge served before the purge`;
}

function sameDate(a: string, b: string): boolean {
  if (a === b) return true;
  const left = Date.parse(a);
  return Number.isFinite(left) && left === Date.parse(b);
}

function later(now: string | undefined, before: string): boolean {
  if (now === undefined) return false;
  const next = Date.parse(now);
  const old = Date.parse(before);
  return Number.isFinite(next) && Number.isFinite(old) && next > old;
}
