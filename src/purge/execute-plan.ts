import pLimit from 'p-limit';
import pRetry from 'p-retry';
import { isEdgepurgeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { PlanEntry, PurgePlan } from '../plan/plan-purges.ts';
import { batchTargets, makeBatch, type Provider, type PurgeBatch } from '../providers/provider.ts';
import { PurgeError } from '../providers/purge-error.ts';
import { type Clock, systemClock } from './clock.ts';
import { type Journal, noJournal } from './journal.ts';
import { DEFAULT_RETRY_POLICY, RETRYABLE_KINDS, type RetryPolicy } from './retry-policy.ts';
import { createTokenBucket } from './token-bucket.ts';

export interface PurgeFailure {
  readonly provider: string;
  readonly target: string;
  readonly error: string;
  readonly code: string;
  readonly hint?: string;
}

export interface PurgeSummary {
  /** HTTP requests sent, retries included. */
  readonly requests: number;
  readonly urls: number;
  readonly prefixes: number;
  readonly tags: number;
  readonly failed: readonly PurgeFailure[];
  /** Attempts that failed and were tried again. */
  readonly retries: number;
  /** 429 answers met. */
  readonly rateLimited: number;
  /** Batches a provider refused as too large and that were split. */
  readonly splits: number;
  /** Targets the journal showed applied by an earlier, interrupted run. */
  readonly skipped: number;
  /** Milliseconds spent waiting on rate budgets and Retry-After. */
  readonly pacedMs: number;
}

export interface ExecuteOptions {
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly retry?: RetryPolicy;
  /** Records each applied batch; a resumed run skips what it holds (see withoutApplied). */
  readonly journal?: Journal;
}

/**
 * Executes a plan exactly: providers in their configured order (inner cache first, so an outer
 * cache never refills from a stale inner one); within a provider, `capabilities.concurrency`
 * batches at once, each request paced by the provider's token bucket, retried by policy, split
 * when refused as too large, and journaled once applied. When a provider fails, later providers
 * are not purged, and every failure is reported: nothing is silently skipped.
 */
export async function executePlan(
  plan: PurgePlan,
  providers: readonly Provider[],
  options: ExecuteOptions,
): Promise<PurgeSummary> {
  const clock = options.clock ?? systemClock;
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  const journal = options.journal ?? noJournal;
  const byName = new Map(providers.map((provider) => [provider.name, provider]));
  const failed: PurgeFailure[] = [];
  const totals = {
    requests: 0,
    urls: 0,
    prefixes: 0,
    tags: 0,
    retries: 0,
    rateLimited: 0,
    splits: 0,
    pacedMs: 0,
  };

  for (const [index, providerPlan] of plan.providers.entries()) {
    const provider = byName.get(providerPlan.provider);
    if (provider === undefined) throw new Error(`no provider named ${providerPlan.provider}`);
    const bucket = createTokenBucket(provider.capabilities.rate, clock);
    const limit = pLimit(provider.capabilities.concurrency);
    const total = providerPlan.entries.length;
    let done = 0;

    const attempt = async (batch: PurgeBatch): Promise<void> => {
      await bucket.take(options.signal);
      let outcome: Awaited<ReturnType<Provider['purge']>>;
      try {
        outcome = await provider.purge(batch, options.signal);
      } catch (error) {
        // The failed call reached the provider (or tried to): it counts as a request sent.
        totals.requests += 1;
        throw error;
      }
      totals.requests += outcome.requests;
      if (outcome.pauseMs !== undefined && outcome.pauseMs > 0)
        bucket.pauseUntil(clock.now() + outcome.pauseMs);
    };

    const apply = async (batch: PurgeBatch): Promise<void> => {
      try {
        await pRetry(() => attempt(batch), {
          retries: policy.retries,
          minTimeout: policy.minDelayMs,
          maxTimeout: policy.maxDelayMs,
          factor: policy.factor,
          randomize: true,
          signal: options.signal,
          shouldRetry: ({ error }) =>
            error instanceof PurgeError && RETRYABLE_KINDS.has(error.kind),
          onFailedAttempt: ({ error, retriesLeft }) => {
            if (!(error instanceof PurgeError) || !RETRYABLE_KINDS.has(error.kind)) return;
            if (error.kind === 'rate-limit') {
              totals.rateLimited += 1;
              // The budget is the account's: hold every request of this provider, not just this one.
              const wait = Math.min(
                error.retryAfterMs ?? policy.minDelayMs,
                policy.retryAfterCapMs,
              );
              bucket.pauseUntil(clock.now() + wait);
            }
            if (retriesLeft === 0) return;
            totals.retries += 1;
            options.log.info(
              `purge ${provider.name}: ${error.message}; retrying (${retriesLeft} left)`,
            );
          },
        });
      } catch (error) {
        if (error instanceof PurgeError && error.kind === 'too-large') {
          const halves = split(batch);
          if (halves !== undefined) {
            totals.splits += 1;
            options.log.info(
              `purge ${provider.name}: batch of ${batchTargets(batch).length} refused as too large; splitting`,
            );
            await Promise.all(halves.map(apply));
            return;
          }
        }
        throw error;
      }
      await journal.record(provider.name, batch);
      count(batch);
    };

    const count = (batch: PurgeBatch) => {
      if (batch.kind === 'urls') totals.urls += batch.urls.length;
      if (batch.kind === 'prefixes') totals.prefixes += batch.prefixes.length;
      if (batch.kind === 'tags') totals.tags += batch.tags.length;
    };

    // A failure that no other batch can escape (a bad token, a wrong zone, a node that is down)
    // stops the provider: the batches not yet sent are reported as not sent, not tried.
    let stopped: PurgeFailure | undefined;
    await Promise.all(
      providerPlan.entries.map((entry) =>
        limit(async () => {
          if (stopped !== undefined) {
            failed.push({
              ...stopped,
              target: describeTargets(entry),
              error: `not sent: ${stopped.error}`,
            });
            done++;
            return;
          }
          try {
            await apply(entry);
          } catch (error) {
            if (options.signal.aborted) throw options.signal.reason ?? error;
            const failure = toFailure(provider.name, entry, error);
            failed.push(failure);
            if (error instanceof PurgeError && STOPS_PROVIDER.has(error.kind)) stopped ??= failure;
          }
          done++;
          if (done % 20 === 0 || done === total)
            options.log.info(`purge ${provider.name}: ${done}/${total} batches`);
        }),
      ),
    );
    totals.pacedMs += bucket.waitedMs();
    if (failed.length > 0) {
      const rest = plan.providers.slice(index + 1).map((p) => p.provider);
      if (rest.length > 0)
        options.log.warn(`not purging ${rest.join(', ')}: ${provider.name} failed first`);
      break;
    }
  }
  return { ...totals, failed, skipped: 0 };
}

/** The summary of a purge that sent nothing. */
export function emptySummary(): PurgeSummary {
  return {
    requests: 0,
    urls: 0,
    prefixes: 0,
    tags: 0,
    failed: [],
    retries: 0,
    rateLimited: 0,
    splits: 0,
    skipped: 0,
    pacedMs: 0,
  };
}

/** Two halves of a batch, or undefined when it holds one item and cannot be split. */
function split(batch: PurgeBatch): [PurgeBatch, PurgeBatch] | undefined {
  const targets = batchTargets(batch);
  if (targets.length < 2 || batch.kind === 'everything') return undefined;
  const middle = Math.ceil(targets.length / 2);
  return [
    makeBatch(batch.kind, targets.slice(0, middle)),
    makeBatch(batch.kind, targets.slice(middle)),
  ];
}

/** Failure kinds that every later batch of the provider would meet too. */
const STOPS_PROVIDER: ReadonlySet<PurgeError['kind']> = new Set(['auth', 'not-found', 'refused']);

function describeTargets(entry: PlanEntry): string {
  const targets = batchTargets(entry);
  return targets.length > 3
    ? `${targets.slice(0, 3).join(' ')} … (${targets.length})`
    : targets.join(' ');
}

function toFailure(provider: string, entry: PlanEntry, error: unknown): PurgeFailure {
  const target = describeTargets(entry);
  if (isEdgepurgeError(error)) {
    return { provider, target, error: error.message, code: error.code, hint: error.hint };
  }
  return { provider, target, error: String((error as Error)?.message ?? error), code: 'E_PURGE' };
}
