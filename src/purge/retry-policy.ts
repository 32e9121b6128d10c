import type { PurgeError, PurgeFailureKind } from '../providers/purge-error.ts';

/**
 * How failed purge requests are retried: one place, every number commented. The unit is the
 * request, not the batch: a Fastly or Varnish batch of 50 URLs is 50 requests, and each owns
 * its budget, so a fault on one never costs the others a try.
 */
export interface RetryPolicy {
  /**
   * Error budget per request: tries after the first for 5xx, resets and timeouts. A 429 does
   * not spend it (a rate limit is bounded by time, see `maxWaitSeconds`).
   */
  readonly retries: number;
  /** Backoff before the first retry of an error; times `factor` each further retry. */
  readonly minDelayMs: number;
  readonly factor: number;
  /** The backoff never grows past this (before jitter). */
  readonly maxDelayMs: number;
  /**
   * One 429's wait is cut to this, whatever `Retry-After` says: the request is then tried again
   * (and may wait again, up to `maxWaitSeconds` in all).
   */
  readonly retryAfterCapMs: number;
  /**
   * The least a 429 waits when it names no reset, or a reset of 0: answering a rate limit at
   * once only meets it again. Default 1,000 ms.
   */
  readonly rateLimitFloorMs?: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  // Eight tries per request ride out a minute-long incident (0.5+1+2+4+8+16+30+30 s of backoff).
  retries: 8,
  // Half a second, doubling: a blip clears at the first retry, an outage is not hammered.
  minDelayMs: 500,
  factor: 2,
  // Thirty seconds between tries at most: a long outage is still probed twice a minute.
  maxDelayMs: 30_000,
  // Two minutes per 429 at most; a longer reset is waited out in slices, within maxWaitSeconds.
  retryAfterCapMs: 120_000,
  // A 429 without Retry-After waits a second (Cloudflare's purge bucket refills in 0.1–12 s).
  rateLimitFloorMs: 1_000,
};

/**
 * Default of `purge.maxWaitSeconds`: five minutes of rate-limit waits per request. Cloudflare's
 * purge bucket refills within seconds, so this rides out any burst; Fastly's purge_all budget
 * resets hourly (Fastly-RateLimit-Reset), and a CI job should fail and say so rather than hang
 * for most of an hour.
 */
export const DEFAULT_MAX_WAIT_SECONDS = 300;

/**
 * Which failures a retry can cure. Rate limits, 5xx, resets and timeouts pass; auth, a wrong
 * zone or service, and malformed requests answer the same every time. `too-large` is not
 * retried as is: the executor splits the batch.
 */
export const RETRYABLE_KINDS: ReadonlySet<PurgeFailureKind> = new Set([
  'rate-limit',
  'server',
  'network',
  'timeout',
]);

/** What one request has spent so far. */
export interface RequestSpent {
  /** Retries spent on 5xx, resets and timeouts. */
  readonly errors: number;
  /** Milliseconds of rate-limit waits it was given. */
  readonly waitedMs: number;
}

export const NOTHING_SPENT: RequestSpent = { errors: 0, waitedMs: 0 };

/** Try again (after a backoff, or once the provider's pause is over), or give up and why. */
export type RetryDecision =
  | {
      readonly retry: true;
      readonly spent: RequestSpent;
      /** Backoff before this request goes again (errors; jitter is the caller's). */
      readonly delayMs: number;
      /** The whole provider waits this long (a rate limit is the account's, not the request's). */
      readonly pauseMs: number;
    }
  | { readonly retry: false; readonly why: string; readonly hint?: string };

/**
 * The next step for one request that failed with `error`, having spent `spent`. Pure: the
 * executor applies the waits and keeps the books.
 */
export function nextTry(
  error: PurgeError,
  spent: RequestSpent,
  policy: RetryPolicy,
  maxWaitMs: number,
): RetryDecision {
  // A refusal that no retry cures ends the request at once.
  if (!RETRYABLE_KINDS.has(error.kind)) return { retry: false, why: 'not retried' };
  if (error.kind === 'rate-limit') {
    const floor = policy.rateLimitFloorMs ?? 1_000;
    // The provider's reset (Retry-After, Fastly-RateLimit-Reset), never less than the floor...
    const asked = Math.max(error.retryAfterMs ?? floor, floor);
    // ...and one wait is cut to the cap; the request may wait again afterwards.
    const wait = Math.min(asked, policy.retryAfterCapMs);
    // Bounded by time, not by the error budget: give up when the waits would pass maxWait.
    if (spent.waitedMs + wait > maxWaitMs) {
      const seconds = Math.round(maxWaitMs / 1000);
      return {
        retry: false,
        why:
          spent.waitedMs === 0
            ? `the reset is ${Math.ceil(asked / 1000)} s away, past purge.maxWaitSeconds (${seconds})`
            : `still rate-limited after waiting ${Math.round(spent.waitedMs / 1000)} s; purge.maxWaitSeconds is ${seconds}`,
        hint: `run again once the provider's rate limit resets, or raise purge.maxWaitSeconds (now ${seconds})`,
      };
    }
    return {
      retry: true,
      spent: { ...spent, waitedMs: spent.waitedMs + wait },
      delayMs: 0,
      pauseMs: wait,
    };
  }
  // 5xx, a reset or a timeout: one unit of this request's own error budget.
  if (spent.errors >= policy.retries) {
    return { retry: false, why: `failed ${spent.errors + 1} times; no retries left` };
  }
  // Exponential backoff from minDelayMs, capped at maxDelayMs.
  const delayMs = Math.min(policy.maxDelayMs, policy.minDelayMs * policy.factor ** spent.errors);
  return { retry: true, spent: { ...spent, errors: spent.errors + 1 }, delayMs, pauseMs: 0 };
}
