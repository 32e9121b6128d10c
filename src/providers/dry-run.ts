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
 * noUpdateStore). Every other ability is the real provider's — capabilities (the rate budget
 * too), `checkPrefix`, `describe`, `close`, and whatever a provider adds — so a dry run plans
 * exactly as the real run does (a Cloudflare prefix deeper than its limit is URL batches in
 * both). The executor does not pace a dry run (see isDryRun).
 */
export function dryRunProvider(inner: Provider, calls: RecordedCall[]): Provider {
  const purge = async (batch: PurgeBatch): Promise<PurgeOutcome> => {
    calls.push({ provider: inner.name, batch, requests: inner.describe?.(batch) ?? [] });
    return { requests: 0 };
  };
  return new Proxy(inner, {
    get(target, property) {
      if (property === 'purge') return purge;
      if (property === DRY_RUN) return true;
      const value: unknown = Reflect.get(target, property, target);
      // Methods run on the real provider (a class's private fields need their own `this`).
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The mark of a dry-run wrapper, seen only through `isDryRun`. */
const DRY_RUN = Symbol('edgepurge.dryRun');

/** Whether `provider` is a dry-run wrapper: it sends nothing, so nothing needs pacing. */
export function isDryRun(provider: Provider): boolean {
  return (provider as Provider & { [DRY_RUN]?: boolean })[DRY_RUN] === true;
}
