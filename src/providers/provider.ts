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
  /**
   * How the provider bills purges, when it bills per target (CloudFront: each invalidation
   * path, a wildcard counting as one, once the month's free paths are spent): the planner then
   * weighs a collapse by the targets it bills, not by the requests it saves.
   */
  readonly billing?: { readonly perTarget: true; readonly freePerMonth: number };
  /**
   * Batch kinds the provider can purge softly (mark stale and revalidate instead of evicting);
   * none when absent. A batch whose `mode` is `soft` is only planned for these kinds.
   */
  readonly softKinds?: readonly PurgeBatch['kind'][];
  /** The provider's own `purge.mode`, from its config (Fastly `soft: true`); wins over the config's. */
  readonly mode?: PurgeModeSetting;
}

/** `purge.mode`: soft where the validator changed (auto), always hard, or soft where safe. */
export type PurgeModeSetting = 'auto' | 'hard' | 'soft';

/** How one batch is purged: evicted (`hard`), or marked stale to be revalidated (`soft`). */
export type PurgeMode = 'hard' | 'soft';

/**
 * One unit of work for a provider. URLs are absolute; prefixes are `host/path` (no scheme, no
 * query); hosts are bare hostnames.
 */
export type PurgeBatch = (
  | { readonly kind: 'urls'; readonly urls: readonly string[] }
  | { readonly kind: 'prefixes'; readonly prefixes: readonly string[] }
  | { readonly kind: 'tags'; readonly tags: readonly string[] }
  | { readonly kind: 'hosts'; readonly hosts: readonly string[] }
  | { readonly kind: 'everything'; readonly hosts: readonly string[] }
) & {
  /** `soft`: mark stale, revalidate; absent or `hard`: evict (the provider's default). */
  readonly mode?: PurgeMode;
};

export interface PurgeOutcome {
  /** HTTP requests this batch sent (a fleet of N Varnish nodes sends N per URL). */
  readonly requests: number;
  /**
   * The provider's own word that its budget is spent (Fastly-RateLimit-Remaining: 0): the
   * executor sends this provider nothing more for this many milliseconds.
   */
  readonly pauseMs?: number;
  /**
   * The provider's ids for work it started and that completes later (CloudFront invalidation
   * ids): journaled with the batch, so a resumed run can wait for them (Provider.settle).
   */
  readonly receipts?: readonly string[];
}

/** What an earlier try of the same batch got done, so a retry sends only the rest. */
export interface PurgeAttempt {
  /**
   * Requests accepted by earlier tries of this batch, by the provider's own key
   * (`PurgeError.acceptedRequests`): a URL one node of a fleet took and another refused goes
   * again to the second node only.
   */
  readonly accepted?: ReadonlySet<string>;
  /**
   * Names this run, the same after a resume (the journal's): a provider whose API is made
   * idempotent by a caller reference (CloudFront) derives it from this, so a batch sent again
   * after a kill -9 is not applied (and billed) twice.
   */
  readonly run?: string;
}

/** Work a provider started that completes later, as its `settle` saw it end. */
export interface SettledWork {
  readonly provider: string;
  /** The provider's id (a CloudFront invalidation id). */
  readonly id: string;
  /** Targets it covers (paths). */
  readonly targets: number;
  /** `Completed`, or the last status seen when the wait gave up. */
  readonly status: string;
  /** Seconds from the request (or, for a resumed run's, from the start of the wait) to done. */
  readonly seconds: number;
  /** Started by an earlier, interrupted run (from the journal). */
  readonly resumed?: boolean;
  /** false: the provider was told not to wait (CloudFront `wait: false`); `status` as created. */
  readonly waited?: boolean;
}

/** What `settle` is given. */
export interface SettleOptions {
  readonly signal: AbortSignal;
  readonly log: { info(message: string): void; warn(message: string): void };
  /** Receipts an earlier, interrupted run journaled: wait for them too. */
  readonly earlier: readonly string[];
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
  /**
   * Waits until what `purge` started has taken effect (CloudFront: every invalidation
   * `Completed`), before the next provider is purged and before verification. Throws a
   * JobError naming what is still in progress when it gives up.
   */
  settle?(options: SettleOptions): Promise<readonly SettledWork[]>;
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

/** The same batch (kind and mode) for fewer `targets`: a retry's or a split's remainder. */
export function rebatch(batch: PurgeBatch, targets: readonly string[]): PurgeBatch {
  if (batch.kind === 'everything') return batch;
  const next = makeBatch(batch.kind, targets);
  return batch.mode === undefined ? next : { ...next, mode: batch.mode };
}
