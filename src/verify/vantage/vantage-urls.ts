import { createHash } from 'node:crypto';
import type { VerifyTarget } from '../targets.ts';

/** The URLs measured from every location, and why each was chosen. */
export interface VantageSelection {
  /** Every changed HTML URL: the pages a visitor lands on, where stale hurts most. */
  readonly changedHtml: readonly VerifyTarget[];
  /** `sample` of the rest, chosen by release (see sampleKey). */
  readonly sampled: readonly VerifyTarget[];
}

const HTML = /\.html?$/i;

/**
 * Every changed HTML URL, plus a deterministic sample of the other targets: sorted by a hash of
 * the release id and the URL, the first `sample`. The same release picks the same URLs on every
 * runner and every retry; another release picks others, so over time every URL gets measured.
 * Costs are bounded: probe tests = URLs × locations, and Globalping's free tier counts tests.
 * Pure.
 */
export function selectVantageUrls(
  targets: readonly VerifyTarget[],
  release: string,
  sample: number,
): VantageSelection {
  const changedHtml = targets.filter(
    (target) => target.kind === 'serves' && target.changed && HTML.test(target.path),
  );
  const chosen = new Set(changedHtml);
  const rest = targets
    .filter((target) => !chosen.has(target))
    .map((target) => ({ target, key: sampleKey(release, target.url) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, Math.max(0, sample))
    .map((entry) => entry.target);
  return { changedHtml, sampled: rest };
}

/** The sort key of a URL in a release's sample. */
export function sampleKey(release: string, url: string): string {
  return createHash('sha256').update(`${release}\n${url}`, 'utf8').digest('hex');
}
