import pLimit from 'p-limit';
import { isEdgepurgeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { PurgePlan } from '../plan/plan-purges.ts';
import { isDryRun } from '../providers/dry-run.ts';
import { batchTargets, type Provider, type SettledWork } from '../providers/provider.ts';
import { PurgeError, SettleError } from '../providers/purge-error.ts';
import { applyBatch, type BatchContext, BatchFailed, type Tally } from './apply-batch.ts';
import { type Clock, systemClock } from './clock.ts';
import { type Journal, noJournal } from './journal.ts';
import { type PurgeRound, purgeSteps } from './purge-rounds.ts';
import {
  DEFAULT_MAX_WAIT_SECONDS,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
} from './retry-policy.ts';
import { createTokenBucket } from './token-bucket.ts';

export interface PurgeFailure {
  readonly provider: string;
  /** The targets not purged, shortened for a line of text (`a b c … (50)`). */
  readonly target: string;
  /** Every target this failure left unpurged; what a batch had accepted is not among them. */
  readonly targets?: readonly string[];
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
  /** Requests that failed and were tried again. */
  readonly retries: number;
  /** 429 answers met. */
  readonly rateLimited: number;
  /** Batches a provider refused as too large and that were split. */
  readonly splits: number;
  /** Targets the journal showed applied by an earlier, interrupted run. */
  readonly skipped: number;
  /** Milliseconds spent waiting before sending: rate budgets, Retry-After and retry backoff. */
  readonly pacedMs: number;
  /** Work providers waited for after their purges (CloudFront invalidations); absent: none. */
  readonly invalidations?: readonly SettledWork[];
  /**
   * Each provider's turn in the order it ran (inner first), with a shielded provider's second
   * round (`shield.repurgeAfterSeconds`) after its first. Absent from emptySummary().
   */
  readonly rounds?: readonly PurgeRound[];
}

export interface ExecuteOptions {
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly retry?: RetryPolicy;
  /** Records each applied batch; a resumed run skips what it holds (see withoutApplied). */
  readonly journal?: Journal;
  /**
   * `purge.maxWaitSeconds`: how long one request may wait, in all, on a provider's rate limit
   * before it is given up (default 300). 429s never spend the error budget.
   */
  readonly maxWaitSeconds?: number;
}

/**
 * Executes a plan exactly: providers in their configured order (inner cache first, so an outer
 * cache never refills from a stale inner one); within a provider, `capabilities.concurrency`
 * batches at once, each request paced by the provider's token bucket, retried on its own budget
 * (retry-policy.ts), split when refused as too large, and journaled once accepted — what a
 * failed batch had accepted included. When a provider fails, later providers are not purged,
 * and every failure is reported with the exact targets it left unpurged. A shielded provider
 * (`repurge`) is purged, waited for on the clock, and purged again (round 2, journaled apart;
 * purge-rounds.ts); `rounds` says in which order everything ran.
 */
export async function executePlan(
  plan: PurgePlan,
  providers: readonly Provider[],
  options: ExecuteOptions,
): Promise<PurgeSummary> {
  const clock = options.clock ?? systemClock;
  const policy = options.retry ?? DEFAULT_RETRY_POLICY;
  const maxWaitMs = (options.maxWaitSeconds ?? DEFAULT_MAX_WAIT_SECONDS) * 1000;
  const journal = options.journal ?? noJournal;
  const byName = new Map(providers.map((provider) => [provider.name, provider]));
  const failed: PurgeFailure[] = [];
  const tally: Tally = { requests: 0, retries: 0, rateLimited: 0, splits: 0, backoffMs: 0 };
  const counts = { urls: 0, prefixes: 0, tags: 0 };
  let pacedMs = 0;
  const invalidations: SettledWork[] = [];

  const rounds: PurgeRound[] = [];
  const steps = purgeSteps(plan);
  for (const [index, { plan: providerPlan, round, waitSeconds }] of steps.entries()) {
    const provider = byName.get(providerPlan.provider);
    if (provider === undefined) throw new Error(`no provider named ${providerPlan.provider}`);
    // A shield's repurge: wait for the tier behind it, then purge the same set again (a dry run
    // sends nothing, so it does not wait either).
    const waitMs = isDryRun(provider) ? 0 : waitSeconds * 1000;
    if (waitMs > 0) {
      options.log.info(
        `purge ${provider.name}: shield: purging the same ${providerPlan.entries.length} batches again in ${waitSeconds} s (round ${round})`,
      );
      await clock.sleep(waitMs, options.signal);
    }
    rounds.push({
      provider: provider.name,
      round,
      batches: providerPlan.entries.length,
      ...(round > 1 ? { waitedMs: waitMs } : {}),
    });
    // A dry run sends nothing, so there is nothing to pace; its provider keeps the real budget
    // all the same (the planner reads it), so it is left out here.
    const rate = isDryRun(provider) ? undefined : provider.capabilities.rate;
    const bucket = createTokenBucket(rate, clock);
    const limit = pLimit(provider.capabilities.concurrency);
    const total = providerPlan.entries.length;
    let done = 0;

    const context: BatchContext = {
      provider,
      bucket,
      clock,
      policy,
      maxWaitMs,
      signal: options.signal,
      log: options.log,
      tally,
      // Accepted targets are journaled and counted at once, even when the rest of their batch
      // fails: a failed run's report says what was purged, and a resume skips it.
      run: journal.run,
      onAccepted: async (batch, receipts) => {
        await journal.record(provider.name, batch, receipts, round);
        // A repurge sends the same targets again: they are counted once, in round 1.
        if (round > 1) return;
        if (batch.kind === 'urls') counts.urls += batch.urls.length;
        if (batch.kind === 'prefixes') counts.prefixes += batch.prefixes.length;
        if (batch.kind === 'tags') counts.tags += batch.tags.length;
      },
    };

    // A failure that no other batch can escape (a bad token, a wrong zone, a node that is down)
    // stops the provider: the batches not yet sent are reported as not sent, not tried.
    let stopped: PurgeFailure | undefined;
    await Promise.all(
      providerPlan.entries.map((entry) =>
        limit(async () => {
          if (stopped !== undefined) {
            const targets = batchTargets(entry);
            failed.push({
              ...stopped,
              target: describeTargets(targets),
              targets,
              error: `not sent: ${stopped.error}`,
            });
            done++;
            return;
          }
          try {
            await applyBatch(entry, context);
          } catch (error) {
            if (options.signal.aborted) throw options.signal.reason ?? error;
            const cause = error instanceof BatchFailed ? error.error : error;
            const targets = error instanceof BatchFailed ? error.targets : batchTargets(entry);
            const failure = toFailure(provider.name, targets, cause);
            failed.push(failure);
            if (cause instanceof PurgeError && stopsProvider(cause)) stopped ??= failure;
          }
          done++;
          if (done % 20 === 0 || done === total)
            options.log.info(`purge ${provider.name}: ${done}/${total} batches`);
        }),
      ),
    );
    pacedMs += bucket.waitedMs();
    // What the provider started must take effect before the next provider (an outer cache would
    // refill from it) and before verification: CloudFront's invalidations take minutes.
    if (failed.length === 0 && provider.settle !== undefined && !isDryRun(provider)) {
      try {
        invalidations.push(
          ...(await provider.settle({
            signal: options.signal,
            log: options.log,
            earlier: journal.receipts?.(provider.name) ?? [],
          })),
        );
      } catch (error) {
        if (options.signal.aborted) throw options.signal.reason ?? error;
        if (error instanceof SettleError) invalidations.push(...error.work);
        failed.push(toFailure(provider.name, [], error));
      }
    }
    if (failed.length > 0) {
      // Later providers; a failed first round's own repurge is not named (it is not "another").
      const rest = [...new Set(steps.slice(index + 1).map((step) => step.plan.provider))].filter(
        (name) => name !== provider.name,
      );
      if (rest.length > 0)
        options.log.warn(`not purging ${rest.join(', ')}: ${provider.name} failed first`);
      break;
    }
  }
  const { backoffMs, ...sent } = tally;
  return {
    ...sent,
    ...counts,
    pacedMs: pacedMs + backoffMs,
    failed,
    skipped: 0,
    ...(invalidations.length === 0 ? {} : { invalidations }),
    rounds,
  };
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

/** Failure kinds that every later batch of the provider would meet too. */
const STOPS_PROVIDER: ReadonlySet<PurgeError['kind']> = new Set(['auth', 'not-found', 'refused']);

/**
 * Whether every later batch of the provider would meet this failure too: a refusal no retry
 * cures, or a rate limit that outlasted purge.maxWaitSeconds (the budget is the account's, so
 * the next batch would wait as long again, and a deploy of many batches would never end).
 */
function stopsProvider(error: PurgeError): boolean {
  return STOPS_PROVIDER.has(error.kind) || error.kind === 'rate-limit';
}

function describeTargets(targets: readonly string[]): string {
  return targets.length > 3
    ? `${targets.slice(0, 3).join(' ')} … (${targets.length})`
    : targets.join(' ');
}

function toFailure(provider: string, targets: readonly string[], error: unknown): PurgeFailure {
  const target = describeTargets(targets);
  if (isEdgepurgeError(error)) {
    return { provider, target, targets, error: error.message, code: error.code, hint: error.hint };
  }
  return {
    provider,
    target,
    targets,
    error: String((error as Error)?.message ?? error),
    code: 'E_PURGE',
  };
}
