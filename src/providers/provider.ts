/**
 * A cache that edgepurge can purge. Providers declare what they can do; the planner sizes
 * batches from that, and the executor calls `purge` once per batch.
 */
export interface ProviderCapabilities {
  /** Most URLs one `purge` call takes. */
  readonly maxUrlsPerRequest: number;
  /** Most prefixes one call takes; 0 when prefix purges are not supported. */
  readonly maxPrefixesPerRequest: number;
  /** Most tags one call takes; 0 when tag purges are not supported. */
  readonly maxTagsPerRequest: number;
  readonly everything: boolean;
}

/** One unit of work for a provider. URLs are absolute; prefixes are `host/path` (no scheme). */
export type PurgeBatch =
  | { readonly kind: 'urls'; readonly urls: readonly string[] }
  | { readonly kind: 'prefixes'; readonly prefixes: readonly string[] }
  | { readonly kind: 'tags'; readonly tags: readonly string[] }
  | { readonly kind: 'everything'; readonly hosts: readonly string[] };

export interface PurgeOutcome {
  /** HTTP requests this batch sent (a fleet of N Varnish nodes sends N per URL). */
  readonly requests: number;
}

export interface Provider {
  /** Name in plans and reports (`varnish`, or the configured `name`). */
  readonly name: string;
  readonly type: string;
  readonly capabilities: ProviderCapabilities;
  /** Applies one batch, or throws an EdgepurgeError naming the target and status. */
  purge(batch: PurgeBatch, signal: AbortSignal): Promise<PurgeOutcome>;
}
