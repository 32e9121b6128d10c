import { JobError } from '../errors.ts';
import type { SettledWork } from './provider.ts';

/**
 * Why a purge call failed, in the terms the executor acts on:
 * - `rate-limit`, `server`, `network`, `timeout`: a later try can succeed (retried);
 * - `too-large`: the provider refused the batch's size (split and go on);
 * - `auth`, `not-found`, `invalid`: the same request fails again (fail at once);
 * - `refused`: nothing listens at the endpoint (a node down, a wrong URL): fail at once.
 */
export type PurgeFailureKind =
  | 'rate-limit'
  | 'server'
  | 'network'
  | 'timeout'
  | 'too-large'
  | 'auth'
  | 'not-found'
  | 'invalid'
  | 'refused';

export interface PurgeErrorDetails {
  readonly kind: PurgeFailureKind;
  /** HTTP status, when there was an answer. */
  readonly status?: number;
  /** From `Retry-After` (or a vendor's reset header), in milliseconds. */
  readonly retryAfterMs?: number;
  readonly hint?: string;
  /** The endpoint or API the failure came from (never with credentials in it). */
  readonly at?: string;
  readonly cause?: unknown;
  /**
   * Targets of the batch (as `batchTargets` names them) that the provider accepted before the
   * call failed: a provider that sends a request per URL says so, and the executor journals and
   * counts them at once and never sends them again. Absent: nothing of the batch was accepted.
   */
  readonly accepted?: readonly string[];
  /**
   * Requests accepted for targets not wholly accepted (a URL one node of a fleet took and
   * another refused), by the provider's own key: the executor hands them back on the retry
   * (PurgeAttempt.accepted), so they are not sent again.
   */
  readonly acceptedRequests?: readonly string[];
  /** Every request of the batch that failed, with the targets it carried (see batchFailure). */
  readonly failures?: readonly RequestFailure[];
  /** HTTP requests the batch sent before it failed, faults included (default: 1). */
  readonly requests?: number;
}

/** One request of a batch that failed: the targets it carried, and why. */
export interface RequestFailure {
  readonly targets: readonly string[];
  readonly error: PurgeError;
}

/** A failed purge call. Messages name provider, target and status, never a credential. */
export class PurgeError extends JobError {
  override readonly name = 'PurgeError';
  readonly kind: PurgeFailureKind;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly accepted: readonly string[];
  readonly acceptedRequests: readonly string[];
  readonly failures: readonly RequestFailure[] | undefined;
  readonly requests: number | undefined;

  constructor(code: string, message: string, details: PurgeErrorDetails) {
    super(code, message, { at: details.at, hint: details.hint, cause: details.cause });
    this.kind = details.kind;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.accepted = details.accepted ?? [];
    this.acceptedRequests = details.acceptedRequests ?? [];
    this.failures = details.failures;
    this.requests = details.requests;
  }

  /** The details this error was built from, for a copy with more attached. */
  details(): PurgeErrorDetails {
    return {
      kind: this.kind,
      status: this.status,
      retryAfterMs: this.retryAfterMs,
      hint: this.hint,
      at: this.at,
      cause: this.cause,
      accepted: this.accepted,
      acceptedRequests: this.acceptedRequests,
      failures: this.failures,
      requests: this.requests,
    };
  }
}

// Which failure a batch reports as its own when its requests failed differently: one that no
// retry cures first (it decides the provider's fate), then a rate limit (it pauses everything),
// then the rest.
const SEVERITY: Readonly<Record<PurgeFailureKind, number>> = {
  auth: 0,
  'not-found': 0,
  refused: 0,
  invalid: 0,
  'too-large': 1,
  'rate-limit': 2,
  server: 3,
  network: 3,
  timeout: 3,
};

/** Lower is graver: what a batch (or a URL sent to several nodes) reports when faults differ. */
export function failureSeverity(kind: PurgeFailureKind): number {
  return SEVERITY[kind];
}

/**
 * The error of a batch whose requests went one per target (Fastly URL purges, Varnish PURGEs):
 * the most telling request failure, carrying every failure, the targets that were accepted and
 * the requests sent, so the executor retries each failed request on its own budget.
 */
export function batchFailure(
  failures: readonly RequestFailure[],
  accepted: readonly string[],
  requests: number,
  acceptedRequests: readonly string[] = [],
): PurgeError {
  const [headline] = [...failures].sort(
    (a, b) => failureSeverity(a.error.kind) - failureSeverity(b.error.kind),
  );
  if (headline === undefined) throw new Error('batchFailure needs at least one failure');
  const { error } = headline;
  return new PurgeError(error.code, error.message, {
    ...error.details(),
    accepted,
    acceptedRequests,
    failures,
    requests,
  });
}

/**
 * `Retry-After` as milliseconds: delta-seconds or an HTTP date (RFC 9110 10.2.3); undefined
 * when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now = Date.now(),
): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * A provider's wait for its work to take effect gave up (Provider.settle): what was still in
 * progress is named in the message, and `work` holds every item as last seen, for the report.
 */
export class SettleError extends JobError {
  override readonly name = 'SettleError';
  readonly work: readonly SettledWork[];

  constructor(
    code: string,
    message: string,
    details: {
      readonly hint?: string;
      readonly at?: string;
      readonly work: readonly SettledWork[];
    },
  ) {
    super(code, message, { hint: details.hint, at: details.at });
    this.work = details.work;
  }
}
