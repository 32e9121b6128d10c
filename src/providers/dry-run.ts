import type { Provider, PurgeBatch, PurgeOutcome } from './provider.ts';

/** One call a dry run would have made, and the requests it stands for. */
export interface RecordedCall {
  readonly provider: string;
  readonly batch: PurgeBatch;
  /** The exact requests, as the provider describes them (no secrets). */
  readonly requests: readonly string[];
}

/**
 * Wraps a provider so that `purge` records the batch and sends nothing (s3deploy's
 * noUpdateStore). Batch sizes are the real provider's, so the plan is the real one; the rate
 * budget is dropped, since nothing is sent there is nothing to pace.
 */
export function dryRunProvider(inner: Provider, calls: RecordedCall[]): Provider {
  const { rate: _unpaced, ...capabilities } = inner.capabilities;
  return {
    name: inner.name,
    type: inner.type,
    capabilities,
    async purge(batch: PurgeBatch): Promise<PurgeOutcome> {
      calls.push({ provider: inner.name, batch, requests: inner.describe?.(batch) ?? [] });
      return { requests: 0 };
    },
  };
}
