import { setTimeout as delay } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { Logger } from '../log.ts';
import type { RecordedValidators } from '../manifest/manifest.ts';
import type { PolicyRule } from './cache-policy.ts';
import type { EtagModel } from './explain-served-etag.ts';
import type { HttpClient } from './http-client.ts';
import { type Inspection, inspectTarget } from './inspect-target.ts';
import type { OriginTarget } from './origin.ts';
import type { Check, UrlReport, VerifyReport } from './report-types.ts';
import type { EdgeSnapshot } from './snapshot.ts';
import type { VerifyTarget } from './targets.ts';

/** What `deploy --json` promises at least under `verify`; a `VerifyReport` is one. */
export interface VerifyResult {
  readonly ok: boolean;
  readonly checked: number;
  readonly stale: readonly { readonly url: string; readonly reason: string }[];
}

export interface VerifyOptions {
  /** How long stale URLs are polled, from the start of verification. */
  readonly timeoutMs: number;
  /** URLs checked at once (each URL's requests run one after another). */
  readonly concurrency: number;
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** `verify.origin`: asked directly with the public Host, to say which layer is stale. */
  readonly origin?: OriginTarget;
  /** The config's `policy`; empty: the lint's defaults (HTML revalidates, …). */
  readonly policy?: readonly PolicyRule[];
  /** Called whenever a URL settles or is first seen stale: live progress for the reports. */
  readonly onProgress?: (counts: VerifyCounts, total: number) => void;
  /** Injectable so tests do not sleep. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly now?: () => number;
  /**
   * The validators browsers hold, per URL: the baseline's `validators` (manifest version 2),
   * recorded when the previous release was verified. Every changed URL is asked with them,
   * whatever the snapshot found. Given but empty (a first deploy, a version 1 baseline): the
   * report's notes say so. Undefined (`edgepurge verify`): not mentioned.
   */
  readonly held?: Readonly<Record<string, RecordedValidators>>;
  /**
   * The origin's validator model and the release's files: a failing check then says why the
   * ETag served is not the one predicted ("origin still serves the pre-touch ETag: …").
   */
  readonly model?: EtagModel;
}

/** URLs seen fresh, seen stale (still polling or given up), and not yet looked at. */
export interface VerifyCounts {
  readonly fresh: number;
  readonly stale: number;
  readonly pending: number;
}

// Polling: the first retry after 250 ms, doubling to at most 4 s, with ±25 % jitter so many
// stale URLs do not poll the edge in lockstep.
const FIRST_WAIT_MS = 250;
const MAX_WAIT_MS = 4000;

/**
 * Proves each target fresh through the edge (and at the origin when configured), polling stale
 * ones with backoff until fresh or the timeout. Every URL gets a report; none is skipped.
 */
export async function verifyRelease(
  client: HttpClient,
  targets: readonly VerifyTarget[],
  snapshots: ReadonlyMap<string, EdgeSnapshot>,
  options: VerifyOptions,
): Promise<VerifyReport> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
  const started = now();
  const startedAt = new Date().toISOString();
  const deadline = started + options.timeoutMs;
  const limit = pLimit(options.concurrency);
  const ctx = {
    client,
    origin: options.origin,
    policy: options.policy ?? [],
    signal: options.signal,
    ...(options.held === undefined ? {} : { held: options.held }),
    ...(options.model === undefined ? {} : { model: options.model }),
  };
  let fresh = 0;
  let staleNow = 0;
  const report = () =>
    options.onProgress?.(
      { fresh, stale: staleNow, pending: targets.length - fresh - staleNow },
      targets.length,
    );

  const urls = await Promise.all(
    targets.map((target) =>
      limit(async (): Promise<UrlReport> => {
        let attempts = 0;
        let wait = FIRST_WAIT_MS;
        for (;;) {
          attempts++;
          const look = await inspectTarget(ctx, target, snapshots.get(target.url));
          if (look.fresh) {
            fresh++;
            if (attempts > 1) staleNow--;
            report();
            return urlReport(target, look, attempts, now() - started);
          }
          if (attempts === 1) {
            staleNow++;
            report();
          }
          if (look.final || now() + wait > deadline) {
            return urlReport(target, look, attempts);
          }
          if (attempts === 1) {
            options.log.info(
              `verify: ${target.url} stale (${reasonOf(look) ?? 'stale'}); polling until fresh`,
            );
          }
          await sleep(jitter(wait), options.signal);
          wait = Math.min(wait * 2, MAX_WAIT_MS);
        }
      }),
    ),
  );

  const stale = urls
    .filter((url) => !url.fresh)
    .map((url) => ({ url: url.url, reason: url.reason ?? 'stale', diagnosis: url.diagnosis }));
  const warnings: Check[] = urls.flatMap((url) =>
    url.checks.filter((check) => !check.ok && check.severity === 'warning'),
  );
  const notes = heldNotes(targets, options.held);
  return {
    ok: stale.length === 0,
    checked: targets.length,
    stale,
    warnings,
    urls,
    ...(notes.length > 0 ? { notes } : {}),
    startedAt,
    durationMs: now() - started,
  };
}

/** The report of a verification that did not run (dry run, or a failure before it). */
export function emptyVerifyReport(ok: boolean): VerifyReport {
  return {
    ok,
    checked: 0,
    stale: [],
    warnings: [],
    urls: [],
    startedAt: new Date().toISOString(),
    durationMs: 0,
  };
}

function urlReport(
  target: VerifyTarget,
  look: Inspection,
  attempts: number,
  timeToFreshMs?: number,
): UrlReport {
  const reason = reasonOf(look);
  return {
    url: target.url,
    path: target.path,
    kind: target.kind,
    fresh: look.fresh,
    checks: look.checks,
    diagnosis: look.diagnosis,
    ...(reason !== undefined ? { reason } : {}),
    ...(timeToFreshMs !== undefined ? { timeToFreshMs } : {}),
    attempts,
    cache: look.cache,
    ...(look.finalUrl !== undefined ? { finalUrl: look.finalUrl } : {}),
    ...(look.validators !== undefined ? { validators: look.validators } : {}),
  };
}

/** The note a deploy with no recorded validators carries: not a failure, but less proof. */
export const NO_RECORDED_VALIDATORS =
  "no validators recorded with the baseline (a first deploy, or a baseline written before manifest version 2): changed URLs are asked conditionally only with what the edge served before the purge; this release's validators are recorded when it is verified";

function heldNotes(
  targets: readonly VerifyTarget[],
  held: Readonly<Record<string, RecordedValidators>> | undefined,
): string[] {
  if (held === undefined) return [];
  if (Object.keys(held).length === 0) return [NO_RECORDED_VALIDATORS];
  const missing = targets.filter(
    (target) => target.kind === 'serves' && target.changed && !Object.hasOwn(held, target.url),
  ).length;
  return missing === 0
    ? []
    : [
        `${missing} changed URL${missing === 1 ? '' : 's'} had no validators recorded with the baseline: asked conditionally only with what the edge served before the purge`,
      ];
}

/** The first failed error check's message: the one-line why. */
function reasonOf(look: Inspection): string | undefined {
  return look.checks.find((check) => !check.ok && check.severity === 'error')?.message;
}

function jitter(ms: number): number {
  return Math.round(ms * (0.75 + Math.random() * 0.5));
}
