import type { Clock } from '../purge/clock.ts';
import { RETRYABLE_KINDS } from '../purge/retry-policy.ts';
import type { InvalidationState } from './cloudfront-client.ts';
import type { SettledWork } from './provider.ts';
import { PurgeError, SettleError } from './purge-error.ts';

/** One invalidation this provider waits for. */
export interface Tracked {
  readonly id: string;
  /** Individual (non-wildcard) paths and wildcard paths: CloudFront counts them apart. */
  paths: number;
  wildcards: number;
  /** Clock time it was created (or, for an earlier run's, first seen). */
  readonly startedAt: number;
  readonly resumed: boolean;
  status: string;
  doneAt?: number;
}

export interface WaitOptions {
  /** The provider's name, for the report. */
  readonly provider: string;
  /** Who is waiting, for messages (`cloudfront E2QWRUHAPOMQZL`). */
  readonly label: string;
  readonly get: (id: string, signal: AbortSignal) => Promise<InvalidationState>;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly log: { info(message: string): void; warn(message: string): void };
  readonly timeoutMs: number;
  /** What is being waited for, for the log (`completion`, `room for 40 paths`). */
  readonly purpose: string;
  /** The hint of the error when the wait gives up. */
  readonly hint: string;
}

// Polling: first look at once (an earlier run's may be done), then after 1 s, doubling to 20 s
// (the SDK's own waiter starts at 20 s: waitForInvalidationCompleted minDelay), each ×0.5–1.5 so
// parallel deploys do not poll in step.
const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 20_000;

export const COMPLETED = 'Completed';

/**
 * Polls GetInvalidation for `tracked` until `done(tracked)` holds or `timeoutMs` passes, updating
 * each one's status. A throttled or failed poll is polled again; a refusal (credentials, an
 * unknown invalidation) ends the wait. Throws a SettleError naming the invalidations still in
 * progress when time runs out.
 */
export async function pollInvalidations(
  tracked: readonly Tracked[],
  done: () => boolean,
  options: WaitOptions,
): Promise<void> {
  const { clock, signal } = options;
  const deadline = clock.now() + options.timeoutMs;
  let delay = FIRST_DELAY_MS;
  for (let round = 0; ; round++) {
    for (const item of tracked) {
      if (item.status === COMPLETED) continue;
      try {
        const state = await options.get(item.id, signal);
        item.status = state.status;
        // An earlier run's invalidation is known by its id alone until CloudFront describes it.
        if (item.paths + item.wildcards === 0) {
          item.wildcards = state.paths.filter((path) => path.endsWith('*')).length;
          item.paths = state.paths.length - item.wildcards;
        }
        if (state.status === COMPLETED) item.doneAt = clock.now();
      } catch (error) {
        signal.throwIfAborted();
        if (!(error instanceof PurgeError) || !RETRYABLE_KINDS.has(error.kind)) throw error;
        options.log.warn(`${options.label}: ${error.message}; polling again`);
      }
    }
    if (done()) return;
    const pending = tracked.filter((item) => item.status !== COMPLETED);
    const now = clock.now();
    if (now >= deadline) {
      throw new SettleError(
        'E_CLOUDFRONT_WAIT',
        `${options.label}: ${pending.length === 1 ? 'invalidation' : 'invalidations'} ${pending.map((item) => item.id).join(', ')} still in progress after ${Math.round(options.timeoutMs / 1000)} s (waiting for ${options.purpose})`,
        { hint: options.hint, work: settled(tracked, clock.now(), options.provider) },
      );
    }
    if (round === 0 || round % 3 === 0) {
      options.log.info(
        `${options.label}: waiting for ${options.purpose}: ${pending.map((item) => `${item.id} ${item.status}`).join(', ')} (${Math.round((now - Math.min(...pending.map((item) => item.startedAt))) / 1000)} s)`,
      );
    }
    const jittered = Math.round(delay * (0.5 + Math.random()));
    await clock.sleep(Math.max(1, Math.min(jittered, deadline - now)), signal);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
}

/** The report's view of each tracked invalidation. */
export function settled(tracked: readonly Tracked[], now: number, provider: string): SettledWork[] {
  return tracked.map((item) => ({
    provider,
    id: item.id,
    targets: item.paths + item.wildcards,
    status: item.status,
    seconds: Math.round(((item.doneAt ?? now) - item.startedAt) / 100) / 10,
    ...(item.resumed ? { resumed: true } : {}),
  }));
}
