/**
 * A cache that edgepurge can purge. Providers declare what they can do; the planner sizes
 * batches from that, and the executor paces, retries and journals each `purge` call.
 */

/** A token bucket: `burst` requests may go at once, then `perSecond` on average. */
export interface RateBudget {
  readonly perSecond: number;
  readonly burst: number;
}

export interface ProviderCapabilities {
  /** Most URLs one `purge` call takes. */
  readonly maxUrlsPerRequest: number;
  /** Most prefixes one call takes; 0 when prefix purges are not supported. */
  readonly maxPrefixesPerRequest: number;
  /** Most tags one call takes; 0 when tag purges are not supported. */
  readonly maxTagsPerRequest: number;
  /** Most hostnames one call takes; 0 when host purges are not supported. */
  readonly maxHostsPerRequest: number;
  /** Whether the provider can purge everything in one request. */
  readonly everything: boolean;
  /** `purge` calls in flight at once. */
  readonly concurrency: number;
  /** Request budget the executor paces to; none means unpaced. */
  readonly rate?: RateBudget;
}

/**
 * One unit of work for a provider. URLs are absolute; prefixes are `host/path` (no scheme, no
 * query); hosts are bare hostnames.
 */
export type PurgeBatch =
  | { readonly kind: 'urls'; readonly urls: readonly string[] }
  | { readonly kind: 'prefixes'; readonly prefixes: readonly string[] }
  | { readonly kind: 'tags'; readonly tags: readonly string[] }
  | { readonly kind: 'hosts'; readonly hosts: readonly string[] }
  | { readonly kind: 'everything'; readonly hosts: readonly string[] };

export interface PurgeOutcome {
  /** HTTP requests this batch sent (a fleet of N Varnish nodes sends N per URL). */
  readonly requests: number;
  /**
   * The provider's own word that its budget is spent (Fastly-RateLimit-Remaining: 0): the
   * executor sends this provider nothing more for this many milliseconds.
   */
  readonly pauseMs?: number;
}

/** What an earlier try of the same batch got done, so a retry sends only the rest. */
export interface PurgeAttempt {
  /**
   * Requests accepted by earlier tries of this batch, by the provider's own key
   * (`PurgeError.acceptedRequests`): a URL one node of a fleet took and another refused goes
   * again to the second node only.
   */
  readonly accepted?: ReadonlySet<string>;
}

export interface Provider {
  /** Name in plans and reports (the type, or the configured `name`). */
  readonly name: string;
  readonly type: string;
  readonly capabilities: ProviderCapabilities;
  /**
   * Applies one batch, once: no retries inside (the executor owns retries and pacing).
   * Throws a PurgeError that says whether a retry can help and, for a provider that sends a
   * request per target, which targets (`accepted`) and requests (`acceptedRequests`) got through.
   */
  purge(batch: PurgeBatch, signal: AbortSignal, attempt?: PurgeAttempt): Promise<PurgeOutcome>;
  /** What `--dry-run` prints for a batch: the exact requests, secrets left out. */
  describe?(batch: PurgeBatch): readonly string[];
  /** Why this provider cannot take a prefix (`host/path`), or undefined when it can. */
  checkPrefix?(prefix: string): string | undefined;
  /** Releases connections the provider holds open (keep-alive pools). */
  close?(): Promise<void>;
}

/** The items a batch names, for journals and messages. */
export function batchTargets(batch: PurgeBatch): readonly string[] {
  switch (batch.kind) {
    case 'urls':
      return batch.urls;
    case 'prefixes':
      return batch.prefixes;
    case 'tags':
      return batch.tags;
    case 'hosts':
      return batch.hosts;
    case 'everything':
      return ['*'];
  }
}

/** A batch of `kind` naming `targets`: the inverse of batchTargets (not for `everything`). */
export function makeBatch(
  kind: Exclude<PurgeBatch['kind'], 'everything'>,
  targets: readonly string[],
): PurgeBatch {
  switch (kind) {
    case 'urls':
      return { kind, urls: targets };
    case 'prefixes':
      return { kind, prefixes: targets };
    case 'tags':
      return { kind, tags: targets };
    case 'hosts':
      return { kind, hosts: targets };
  }
}
