import type {
  Provider,
  ProviderCapabilities,
  PurgeBatch,
  PurgeOutcome,
} from '../../src/providers/provider.ts';
import { batchTargets } from '../../src/providers/provider.ts';
import type { PurgeError } from '../../src/providers/purge-error.ts';
import type { Clock } from '../../src/purge/clock.ts';

/**
 * An in-memory provider (s3deploy's failAt store): records every call and every applied target,
 * and fails on cue — `failAt(n)` answers the n-th call (0-based) with an error instead.
 */
export interface MemoryProvider extends Provider {
  readonly calls: { batch: PurgeBatch; at: number }[];
  readonly applied: string[];
  failAt: (call: number, batch: PurgeBatch) => PurgeError | undefined;
}

export function memoryProvider(
  name: string,
  capabilities: Partial<ProviderCapabilities> = {},
  clock?: Clock,
): MemoryProvider {
  const provider: MemoryProvider = {
    name,
    type: 'memory',
    capabilities: {
      maxUrlsPerRequest: 30,
      maxPrefixesPerRequest: 30,
      maxTagsPerRequest: 30,
      maxHostsPerRequest: 30,
      everything: true,
      concurrency: 4,
      ...capabilities,
    },
    calls: [],
    applied: [],
    failAt: () => undefined,
    async purge(batch: PurgeBatch): Promise<PurgeOutcome> {
      const call = provider.calls.length;
      provider.calls.push({ batch, at: clock?.now() ?? Date.now() });
      const failure = provider.failAt(call, batch);
      if (failure !== undefined) throw failure;
      provider.applied.push(...batchTargets(batch));
      return { requests: 1 };
    },
  };
  return provider;
}

/** A clock whose sleeps advance virtual time at once: tests never really wait. */
export function fakeClock(start = 1_000_000): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      slept.push(ms);
      now += ms;
    },
  };
}
