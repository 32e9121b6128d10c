import { JobError } from '../errors.ts';

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
}

/** A failed purge call. Messages name provider, target and status, never a credential. */
export class PurgeError extends JobError {
  override readonly name = 'PurgeError';
  readonly kind: PurgeFailureKind;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: string, message: string, details: PurgeErrorDetails) {
    super(code, message, { at: details.at, hint: details.hint, cause: details.cause });
    this.kind = details.kind;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
  }
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
