import type { RateBudget } from '../providers/provider.ts';
import type { Clock } from './clock.ts';

export interface TokenBucket {
  /** Waits until a request may go, then spends one token. */
  take(signal: AbortSignal): Promise<void>;
  /** Sends nothing before `until` (a 429's Retry-After, an exhausted vendor budget). */
  pauseUntil(until: number): void;
  /** Milliseconds spent waiting for tokens or pauses so far. */
  waitedMs(): number;
}

/**
 * A token bucket over `budget` (burst, then perSecond), so a large purge never meets a 429
 * that pacing could have avoided. Takers queue in order; no budget means no waiting, but a
 * pause is still honoured.
 */
export function createTokenBucket(budget: RateBudget | undefined, clock: Clock): TokenBucket {
  let tokens = budget?.burst ?? 0;
  let last = clock.now();
  let pausedUntil = 0;
  let waited = 0;
  let queue: Promise<void> = Promise.resolve();

  const refill = () => {
    const now = clock.now();
    if (budget !== undefined) {
      tokens = Math.min(budget.burst, tokens + ((now - last) / 1000) * budget.perSecond);
    }
    last = now;
  };

  const acquire = async (signal: AbortSignal) => {
    for (;;) {
      signal.throwIfAborted();
      const now = clock.now();
      if (pausedUntil > now) {
        waited += pausedUntil - now;
        await clock.sleep(pausedUntil - now, signal);
        continue;
      }
      if (budget === undefined) return;
      refill();
      if (tokens >= 1) {
        tokens -= 1;
        return;
      }
      const wait = Math.ceil(((1 - tokens) / budget.perSecond) * 1000);
      waited += wait;
      await clock.sleep(wait, signal);
    }
  };

  return {
    take(signal) {
      const turn = queue.then(() => acquire(signal));
      // A taker that was aborted must not block the ones behind it.
      queue = turn.catch(() => {});
      return turn;
    },
    pauseUntil(until) {
      pausedUntil = Math.max(pausedUntil, until);
    },
    waitedMs: () => waited,
  };
}
