import type {
  Provider,
  ProviderCapabilities,
  PurgeBatch,
  PurgeOutcome,
} from '../../src/providers/provider.ts';
import { batchTargets } from '../../src/providers/provider.ts';
import {
  batchFailure,
  type PurgeError,
  type RequestFailure,
} from '../../src/providers/purge-error.ts';
import type { Clock } from '../../src/purge/clock.ts';

/**
 * An in-memory provider (s3deploy's failAt store): records every call and every applied target,
 * and fails on cue — `failAt(n)` answers the n-th call (0-based) with an error instead.
 */
export interface MemoryProvider extends Provider {
  readonly calls: { batch: PurgeBatch; at: number }[];
  readonly applied: string[];
  failAt: (call: number, batch: PurgeBatch) => PurgeError | undefined;
  /**
   * When set, the provider sends one request per target (as Fastly and Varnish do for URLs):
   * `failRequest(n, target)` answers the n-th request (0-based, over all calls) with an error,
   * the batch's other targets are accepted, and the call's error says which (batchFailure).
   */
  failRequest?: (request: number, target: string) => PurgeError | undefined;
  /** Requests sent in per-target mode, in order: the target and whether it was accepted. */
  readonly requests: { target: string; accepted: boolean }[];
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
    requests: [],
    failAt: () => undefined,
    async purge(batch: PurgeBatch): Promise<PurgeOutcome> {
      const call = provider.calls.length;
      provider.calls.push({ batch, at: clock?.now() ?? Date.now() });
      const failure = provider.failAt(call, batch);
      if (failure !== undefined) throw failure;
      if (provider.failRequest !== undefined) return perTarget(provider, batch);
      provider.applied.push(...batchTargets(batch));
      return { requests: 1 };
    },
  };
  return provider;
}

function perTarget(provider: MemoryProvider, batch: PurgeBatch): PurgeOutcome {
  const accepted: string[] = [];
  const failures: RequestFailure[] = [];
  const targets = batchTargets(batch);
  for (const target of targets) {
    const error = provider.failRequest?.(provider.requests.length, target);
    provider.requests.push({ target, accepted: error === undefined });
    if (error === undefined) accepted.push(target);
    else failures.push({ targets: [target], error });
  }
  provider.applied.push(...accepted);
  if (failures.length > 0) throw batchFailure(failures, accepted, targets.length);
  return { requests: targets.length };
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
