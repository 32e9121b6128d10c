import { setTimeout as delay } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { Logger } from '../log.ts';
import type { HttpClient } from './http-client.ts';
import { type EdgeSnapshot, IDENTITY, sameEtag } from './snapshot.ts';
import type { VerifyTarget } from './targets.ts';

/** The result of checking one URL once. `final`: waiting cannot change it. */
export interface CheckOutcome {
  readonly fresh: boolean;
  readonly reason?: string;
  readonly final?: boolean;
  readonly etag?: string;
}

export interface UrlVerdict {
  readonly url: string;
  readonly fresh: boolean;
  readonly reason?: string;
  /** Milliseconds from the start of verification until the URL was first seen fresh. */
  readonly timeToFreshMs?: number;
  readonly attempts: number;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly checked: number;
  readonly stale: readonly { readonly url: string; readonly reason: string }[];
  readonly urls: readonly UrlVerdict[];
}

export interface VerifyOptions {
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Injectable so tests do not sleep. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly now?: () => number;
}

// Polling: the first retry after 250 ms, doubling to at most 4 s, with ±25 % jitter so many
// stale URLs do not poll the edge in lockstep.
const FIRST_WAIT_MS = 250;
const MAX_WAIT_MS = 4000;

/**
 * Proves each target fresh at the edge, polling stale ones with backoff until fresh or the
 * timeout. Every URL gets a verdict; none is skipped.
 */
export async function verifyRelease(
  client: HttpClient,
  targets: readonly VerifyTarget[],
  snapshots: ReadonlyMap<string, EdgeSnapshot>,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
  const started = now();
  const deadline = started + options.timeoutMs;
  const limit = pLimit(options.concurrency);
  let settled = 0;

  const verdicts = await Promise.all(
    targets.map((target) =>
      limit(async (): Promise<UrlVerdict> => {
        let attempts = 0;
        let wait = FIRST_WAIT_MS;
        for (;;) {
          attempts++;
          const outcome = await checkTarget(
            client,
            target,
            snapshots.get(target.url),
            options.signal,
          );
          if (outcome.fresh) {
            report(++settled);
            return { url: target.url, fresh: true, timeToFreshMs: now() - started, attempts };
          }
          if (outcome.final || now() + wait > deadline) {
            report(++settled);
            return { url: target.url, fresh: false, reason: outcome.reason, attempts };
          }
          await sleep(jitter(wait), options.signal);
          wait = Math.min(wait * 2, MAX_WAIT_MS);
        }
      }),
    ),
  );

  function report(done: number): void {
    if (done % 50 === 0 || done === targets.length) {
      options.log.info(`verify: ${done}/${targets.length} URLs settled`);
    }
  }

  const stale = verdicts
    .filter((verdict) => !verdict.fresh)
    .map((verdict) => ({ url: verdict.url, reason: verdict.reason ?? 'stale' }));
  return { ok: stale.length === 0, checked: targets.length, stale, urls: verdicts };
}

/** One look at one URL through the edge. */
export async function checkTarget(
  client: HttpClient,
  target: VerifyTarget,
  before: EdgeSnapshot | undefined,
  signal: AbortSignal,
): Promise<CheckOutcome> {
  let response: Awaited<ReturnType<HttpClient['probe']>>;
  try {
    response = await client.probe(target.url, { headers: IDENTITY, signal });
  } catch (error) {
    return { fresh: false, reason: `request failed: ${describe(error)}` };
  }
  if (target.kind === 'removed') {
    if (response.status === 404 || response.status === 410) return { fresh: true };
    return { fresh: false, reason: `removed file still answers ${response.status} at the edge` };
  }
  if (response.status !== 200) {
    return { fresh: false, reason: `answers ${response.status}, expected 200 with the new body` };
  }
  if (response.sha256 !== target.sha256) {
    const previous = before !== undefined && before.sha256 === response.sha256;
    return {
      fresh: false,
      reason: previous
        ? 'the edge still serves the previous body'
        : `body sha256 ${response.sha256.slice(0, 12)}… differs from the manifest's ${target.sha256.slice(0, 12)}…`,
    };
  }
  const etag = response.headers.etag;
  if (before?.etag === undefined || before.status !== 200) return { fresh: true, etag };
  // The snapshot's ETag belonged to the previous bytes when the edge served those, or when the
  // release kept the file's size and mtime and nothing fixed it (the edge may already have
  // refetched the new bytes under the old mtime-size ETag). Either way the ETag must change.
  const oldEtagWasPrevious = before.sha256 !== target.sha256 || target.validatorKept;
  if (!oldEtagWasPrevious) return { fresh: true, etag };
  if (sameEtag(etag, before.etag)) {
    return {
      fresh: false,
      final: true,
      etag,
      reason: `ETag ${before.etag} did not change though the content did: clients that hold it get 304 and keep the old file (fix: "touch", or content-based ETags at the origin)`,
    };
  }
  let conditional: Awaited<ReturnType<HttpClient['probe']>>;
  try {
    conditional = await client.probe(target.url, {
      headers: { ...IDENTITY, 'if-none-match': before.etag },
      signal,
    });
  } catch (error) {
    return { fresh: false, reason: `conditional request failed: ${describe(error)}` };
  }
  if (conditional.status === 304) {
    return { fresh: false, etag, reason: `If-None-Match: ${before.etag} (the old ETag) gets 304` };
  }
  if (conditional.status !== 200 || conditional.sha256 !== target.sha256) {
    return {
      fresh: false,
      etag,
      reason: `If-None-Match with the old ETag answers ${conditional.status} without the new body`,
    };
  }
  return { fresh: true, etag };
}

function jitter(ms: number): number {
  return Math.round(ms * (0.75 + Math.random() * 0.5));
}

function describe(error: unknown): string {
  const err = error as { code?: string; cause?: { code?: string }; message?: string };
  return err.cause?.code ?? err.code ?? err.message ?? String(error);
}
