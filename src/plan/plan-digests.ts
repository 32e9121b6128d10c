import { createHash } from 'node:crypto';
import { hashFileLines } from '../manifest/hash-file-lines.ts';
import { comparePaths } from '../manifest/manifest.ts';
import type { PackedManifest } from '../manifest/packed-manifest.ts';
import type { ProviderPlan } from './plan-purges.ts';

/**
 * What a plan document was made from, as digests `deploy --plan` recomputes before it changes
 * anything: the release (the scanned tree and the files the fix touches), the baseline it diffs
 * against, the providers' configuration, and the planned requests themselves. Pure.
 */
export interface PlanDigests {
  /** sha256 over the post-scan manifest's paths and content hashes, and the touch decisions. */
  readonly release: string;
  /** sha256 over the baseline's paths, hashes, sizes and mtimes; `none` without a baseline. */
  readonly baseline: string;
  /** sha256 over the providers' configuration (no secrets: tokens live in the environment). */
  readonly providers: string;
  /** sha256 over the planned requests: a document edited after `plan` wrote it is refused. */
  readonly requests: string;
}

/** The release a plan was made from: what was scanned and which files the fix touches. */
export function releaseDigest(next: PackedManifest, toTouch: readonly string[]): string {
  const hash = createHash('sha256');
  hash.update('release\n');
  // The packed paths are sorted by comparePaths: the bytes hashed are those of the plain form.
  hashFileLines(hash, next.files);
  hash.update('touch\n');
  for (const path of [...toTouch].sort(comparePaths)) hash.update(`${path}\n`);
  return hash.digest('hex');
}

/**
 * The baseline a plan diffs against. Sizes and mtimes count too: they decide the validator
 * hazards, hence the touch. `none` when there was no baseline (a first deploy).
 */
export function baselineDigest(baseline: PackedManifest | undefined): string {
  if (baseline === undefined) return 'none';
  const hash = createHash('sha256');
  hash.update('baseline\n');
  hashFileLines(hash, baseline.files, { sizes: true });
  return hash.digest('hex');
}

/** The providers' configuration, key order aside. */
export function providersDigest(configs: readonly unknown[]): string {
  return createHash('sha256').update(canonicalJson(configs)).digest('hex');
}

/** The planned requests, per provider in order: kinds, targets, reasons, modes, repurge rounds. */
export function requestsDigest(providers: readonly ProviderPlan[]): string {
  return createHash('sha256')
    .update(
      canonicalJson(
        providers.map((plan) => ({
          provider: plan.provider,
          type: plan.type,
          entries: plan.entries,
          // A shield's second round is a request too (absent: the digest of a plan without one).
          ...(plan.repurge === undefined
            ? {}
            : { repurge: { afterSeconds: plan.repurge.afterSeconds } }),
        })),
      ),
    )
    .digest('hex');
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(inner).sort())
      sorted[key] = (inner as Record<string, unknown>)[key];
    return sorted;
  });
}
