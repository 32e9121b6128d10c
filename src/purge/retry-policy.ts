import type { PurgeFailureKind } from '../providers/purge-error.ts';

/** How failed purge calls are retried: one place, every number commented. */
export interface RetryPolicy {
  /** Tries after the first; a batch is attempted at most retries + 1 times. */
  readonly retries: number;
  /** Backoff before the first retry; doubles (factor) each time, randomised ×1–2 by p-retry. */
  readonly minDelayMs: number;
  readonly factor: number;
  /** The backoff never grows past this. */
  readonly maxDelayMs: number;
  /**
   * A `Retry-After` longer than this is cut to it: the SDKs' own waits are uncapped, and a
   * deploy should not sleep for an hour on a header.
   */
  readonly retryAfterCapMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  // 429s are paced away and 5xx are rare; eight tries ride out a minute-long incident.
  retries: 8,
  minDelayMs: 500,
  factor: 2,
  maxDelayMs: 30_000,
  retryAfterCapMs: 120_000,
};

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
