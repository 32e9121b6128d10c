import type { Provider, PurgeBatch, PurgeOutcome } from './provider.ts';

/** One call a dry run would have made. */
export interface RecordedCall {
  readonly provider: string;
  readonly batch: PurgeBatch;
}

/**
 * Wraps a provider so that `purge` records the batch and sends nothing (s3deploy's
 * noUpdateStore). Capabilities are the wrapped provider's, so the plan is the real one.
 */
export function dryRunProvider(inner: Provider, calls: RecordedCall[]): Provider {
  return {
    name: inner.name,
    type: inner.type,
    capabilities: inner.capabilities,
    async purge(batch: PurgeBatch): Promise<PurgeOutcome> {
      calls.push({ provider: inner.name, batch });
      return { requests: 0 };
    },
  };
}
