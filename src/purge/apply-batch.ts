import type { Logger } from '../log.ts';
import { batchTargets, type Provider, type PurgeBatch, rebatch } from '../providers/provider.ts';
import { failureSeverity, PurgeError } from '../providers/purge-error.ts';
import type { Clock } from './clock.ts';
import {
  NOTHING_SPENT,
  nextTry,
  RETRYABLE_KINDS,
  type RequestSpent,
  type RetryPolicy,
} from './retry-policy.ts';
import type { TokenBucket } from './token-bucket.ts';

/** Running counts the executor reports in its summary. */
export interface Tally {
  requests: number;
  retries: number;
  rateLimited: number;
  splits: number;
  /** Milliseconds slept in retry backoff (rate-limit waits are the bucket's). */
  backoffMs: number;
}

export interface BatchContext {
  readonly provider: Provider;
  readonly bucket: TokenBucket;
  readonly clock: Clock;
  readonly policy: RetryPolicy;
  /** `purge.maxWaitSeconds` in milliseconds: how long one request may wait on rate limits. */
  readonly maxWaitMs: number;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly tally: Tally;
  /**
   * Journals and counts targets the provider accepted, with the provider's receipts for them
   * (CloudFront invalidation ids); called as soon as they are known.
   */
  readonly onAccepted: (batch: PurgeBatch, receipts?: readonly string[]) => Promise<void>;
  /** Names the run, the same after a resume (Journal.run): handed to the provider. */
  readonly run?: string;
}

/** A batch ended with targets not purged: the error that ended them, and exactly which. */
export class BatchFailed extends Error {
  readonly error: unknown;
  readonly targets: readonly string[];
  constructor(error: unknown, targets: readonly string[]) {
    super((error as Error)?.message ?? String(error));
    this.error = error;
    this.targets = targets;
  }
}

/**
 * Applies one batch until every target is accepted or has spent its own budget. What the
 * provider accepted before a failure is journaled and counted at once and never sent again;
 * each failed request is tried again on its own budget (errors) or clock (429s); a batch
 * refused as too large is split. Throws BatchFailed naming the targets left unpurged.
 */
export async function applyBatch(entry: PurgeBatch, context: BatchContext): Promise<void> {
  const { provider, policy, tally } = context;
  const spent = new Map<string, RequestSpent>();
  const gaveUp: { target: string; error: PurgeError }[] = [];
  // Requests earlier tries got accepted for targets still open (one node of a fleet took a URL).
  const acceptedRequests = new Set<string>();
  let batch: PurgeBatch | undefined = entry;
  try {
    while (batch !== undefined) {
      const { error, receipts } = await attempt(batch, acceptedRequests, context);
      if (error === undefined) {
        await context.onAccepted(batch, receipts);
        break;
      }
      for (const key of error.acceptedRequests) acceptedRequests.add(key);
      const rest = await keepAccepted(batch, error, context);
      if (rest === undefined) break;
      if (error.kind === 'too-large') {
        await splitAndApply(rest, error, context);
        break;
      }
      if (!RETRYABLE_KINDS.has(error.kind)) throw new BatchFailed(error, batchTargets(rest));

      // Each target is charged for its own request's failure; a target whose request was not
      // sent this round (another failed first) goes again without charge.
      const failures = error.failures ?? [{ targets: batchTargets(rest), error }];
      const met = worstPerTarget(failures);
      const charged = batchTargets(rest).filter((target) => met.has(target));
      // A provider that named no target of the batch: charge them all, so the loop ends.
      const chargeAll = charged.length === 0;
      const retry: string[] = [];
      let delayMs = 0;
      let pauseMs = 0;
      for (const target of batchTargets(rest)) {
        const failure = chargeAll ? error : met.get(target);
        if (failure === undefined) {
          retry.push(target);
          continue;
        }
        const decision = nextTry(
          failure,
          spent.get(target) ?? NOTHING_SPENT,
          policy,
          context.maxWaitMs,
        );
        if (!decision.retry) {
          gaveUp.push({ target, error: annotate(failure, decision.why, decision.hint) });
          continue;
        }
        spent.set(target, decision.spent);
        retry.push(target);
        delayMs = Math.max(delayMs, decision.delayMs);
        pauseMs = Math.max(pauseMs, decision.pauseMs);
      }
      const retrying = new Set(retry);
      tally.rateLimited += failures.filter((f) => f.error.kind === 'rate-limit').length;
      tally.retries += failures.filter((f) => f.targets.some((t) => retrying.has(t))).length;
      if (retry.length === 0) break;
      // The budget is the account's: a 429 holds every request of this provider, not just this one.
      if (pauseMs > 0) context.bucket.pauseUntil(context.clock.now() + pauseMs);
      const others = failures.length > 1 ? ` (${failures.length} requests failed)` : '';
      const wait = pauseMs > 0 ? ` in ${formatSeconds(pauseMs)}` : '';
      context.log.info(
        `purge ${provider.name}: ${error.message}${others}; retrying ${retry.length === 1 ? retry[0] : `${retry.length} targets`}${wait}`,
      );
      // Randomised ×1–2, so requests that failed together do not return together.
      if (delayMs > 0) {
        const backoff = Math.round(delayMs * (1 + Math.random()));
        tally.backoffMs += backoff;
        await context.clock.sleep(backoff, context.signal);
      }
      batch = rebatch(rest, retry);
    }
  } catch (error) {
    if (gaveUp.length === 0 || !(error instanceof BatchFailed)) throw error;
    throw new BatchFailed(error.error, [...gaveUp.map((g) => g.target), ...error.targets]);
  }
  const first = gaveUp[0];
  if (first !== undefined) {
    throw new BatchFailed(
      first.error,
      gaveUp.map((g) => g.target),
    );
  }
}

/** One call to the provider, paced: the PurgeError it failed with, or its receipts when accepted. */
async function attempt(
  batch: PurgeBatch,
  accepted: ReadonlySet<string>,
  context: BatchContext,
): Promise<{ error?: PurgeError; receipts?: readonly string[] }> {
  await context.bucket.take(context.signal);
  try {
    const { run } = context;
    const outcome = await (accepted.size === 0 && run === undefined
      ? context.provider.purge(batch, context.signal)
      : context.provider.purge(batch, context.signal, {
          ...(accepted.size === 0 ? {} : { accepted }),
          ...(run === undefined ? {} : { run }),
        }));
    context.tally.requests += outcome.requests;
    if (outcome.pauseMs !== undefined && outcome.pauseMs > 0)
      context.bucket.pauseUntil(context.clock.now() + outcome.pauseMs);
    return { receipts: outcome.receipts };
  } catch (error) {
    // The failed call reached the provider (or tried to): its requests count as sent.
    context.tally.requests += error instanceof PurgeError ? (error.requests ?? 1) : 1;
    context.signal.throwIfAborted();
    if (error instanceof PurgeError) return { error };
    throw error;
  }
}

/** Journals what the failed call had accepted; returns the batch of what is left, if any. */
async function keepAccepted(
  batch: PurgeBatch,
  error: PurgeError,
  context: BatchContext,
): Promise<PurgeBatch | undefined> {
  if (error.accepted.length === 0 || batch.kind === 'everything') return batch;
  const accepted = new Set(error.accepted);
  const targets = batchTargets(batch);
  const done = targets.filter((target) => accepted.has(target));
  const left = targets.filter((target) => !accepted.has(target));
  if (done.length > 0) await context.onAccepted(rebatch(batch, done));
  return left.length === 0 ? undefined : rebatch(batch, left);
}

/** Applies both halves of a batch refused as too large; their failures become one. */
async function splitAndApply(
  batch: PurgeBatch,
  error: PurgeError,
  context: BatchContext,
): Promise<void> {
  const targets = batchTargets(batch);
  if (targets.length < 2 || batch.kind === 'everything') throw new BatchFailed(error, targets);
  const middle = Math.ceil(targets.length / 2);
  const halves = [rebatch(batch, targets.slice(0, middle)), rebatch(batch, targets.slice(middle))];
  context.tally.splits += 1;
  context.log.info(
    `purge ${context.provider.name}: batch of ${targets.length} refused as too large; splitting`,
  );
  const results = await Promise.allSettled(halves.map((half) => applyBatch(half, context)));
  const failed: BatchFailed[] = [];
  for (const result of results) {
    if (result.status === 'fulfilled') continue;
    if (!(result.reason instanceof BatchFailed)) throw result.reason;
    failed.push(result.reason);
  }
  const first = failed[0];
  if (first !== undefined) {
    throw new BatchFailed(
      first.error,
      failed.flatMap((f) => f.targets),
    );
  }
}

/** Each target's gravest failure this round (a URL sent to several nodes may meet several). */
function worstPerTarget(
  failures: readonly { targets: readonly string[]; error: PurgeError }[],
): Map<string, PurgeError> {
  const met = new Map<string, PurgeError>();
  for (const { targets, error } of failures) {
    for (const target of targets) {
      const before = met.get(target);
      if (before === undefined || failureSeverity(error.kind) < failureSeverity(before.kind))
        met.set(target, error);
    }
  }
  return met;
}

/** The error with why the request was given up, and a better hint when there is one. */
function annotate(error: PurgeError, why: string, hint: string | undefined): PurgeError {
  if (!RETRYABLE_KINDS.has(error.kind)) return error;
  return new PurgeError(error.code, `${error.message} (${why})`, {
    ...error.details(),
    hint: hint ?? error.hint,
  });
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
