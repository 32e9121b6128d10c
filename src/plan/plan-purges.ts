import type { ManifestDiff } from '../manifest/diff-manifests.ts';
import type { PathList } from '../manifest/merged-paths.ts';
import {
  batchTargets,
  makeBatch,
  type Provider,
  type ProviderCapabilities,
  type PurgeBatch,
  type PurgeModeSetting,
  type RateBudget,
} from '../providers/provider.ts';
import { collapsePaysForPaths } from './cloudfront-paths.ts';
import {
  type Collapse,
  everythingThreshold,
  prefixCollapses,
  tagCollapses,
  type UrlTarget,
} from './collapse.ts';
import { absoluteUrl, type UrlOptions, urlPathsFor } from './map-urls.ts';
import { decidePurgeMode, type ModeReason } from './purge-mode.ts';

/**
 * The plan document format. Version 2 carries the digests `deploy --plan` checks (see
 * plan-digests.ts); version 3 adds each entry's `mode` and `modeReason` (hard or soft, and
 * why) and a shielded provider's `repurge`. A document of another version is refused, never
 * guessed at (a v2 entry says nothing about soft, and its digest does not cover `repurge`).
 */
export const PLAN_VERSION = 3;

/** Why an entry is in the plan (STYLE.md: every decision says why). */
export type PlanReason = 'hazard' | 'changed' | 'added' | 'removed' | 'collapsed' | 'forced';

export type PlanEntry = PurgeBatch & {
  readonly reason: PlanReason;
  /** Why `mode` is hard or soft (purge-mode.ts); set by the planner on every entry. */
  readonly modeReason?: ModeReason;
};

export interface ProviderPlan {
  readonly provider: string;
  readonly type: string;
  /** Executed in order; each entry is one `purge` call. */
  readonly entries: readonly PlanEntry[];
  /** Purge calls this plan makes (one per entry). */
  readonly requests: number;
  /** Calls an exact URL-only plan would need: ceil(URLs / the provider's batch size). */
  readonly lowerBound: number;
  /** Unchanged files a prefix, tag or everything purge evicts too. */
  readonly collateral: number;
  /** The least time the provider's rate budget allows for `requests`, in seconds. */
  readonly minSeconds: number;
  /** The purge mode the entries were decided under: `purge.mode`, or the provider's own. */
  readonly mode?: PurgeModeSetting;
  /**
   * A shielded provider (`shield.repurgeAfterSeconds`): after its entries, the executor waits
   * `afterSeconds` and purges the same set again (round 2), so an edge that refilled from a
   * shield purged after it is purged once more. `entries` is set only on a resumed run's plan:
   * what round 2 has left (journal.ts withoutApplied); absent, round 2 is `entries`.
   */
  readonly repurge?: { readonly afterSeconds: number; readonly entries?: readonly PlanEntry[] };
}

/** The purge plan: a document `plan --json` prints and `deploy` executes exactly. */
export interface PurgePlan {
  /** PLAN_VERSION when planned by this build; a document read from disk may say otherwise. */
  readonly version: number;
  readonly baseUrl: string;
  readonly providers: readonly ProviderPlan[];
  /** Distinct URLs the plan purges, across providers. */
  readonly urls: number;
}

/** Planner budgets and strategies (config `purge`). */
export interface PurgeStrategy {
  readonly maxCollateral: number;
  readonly everythingAbove?: number | string;
  readonly tags: readonly { readonly match: string; readonly tag: string }[];
  /** `purge.mode` (default `auto`): see purge-mode.ts. */
  readonly mode?: PurgeModeSetting;
}

export interface PlanInput {
  readonly baseUrl: string;
  readonly urls: UrlOptions;
  readonly hazardPaths?: ReadonlySet<string>;
  /** Every file of the previous and the new release: what a prefix or tag purge reaches. */
  readonly known?: PathList;
  readonly strategy?: PurgeStrategy;
  /** `shield.repurgeAfterSeconds` per provider name: their plans get a `repurge` round. */
  readonly repurgeAfter?: Readonly<Record<string, number>>;
}

/** The provider facts the planner needs; a Provider satisfies it. */
export type PlannedProvider = Pick<Provider, 'name' | 'type' | 'capabilities' | 'checkPrefix'>;

const NO_STRATEGY: PurgeStrategy = { maxCollateral: 0, tags: [] };
const REASONS = ['hazard', 'changed', 'added', 'removed'] as const;

/**
 * Chooses the purges for a release. Pure: the same inputs always give the same plan.
 * Per provider, from its capabilities: everything above `everythingAbove` (never for an empty
 * change); tag purges and prefix purges where they are exact, or evict at most
 * `maxCollateral` unchanged files, and save requests; the remaining URLs grouped by reason
 * (hazard first: those a missed purge leaves stale for good) and cut into batches at the
 * provider's limit.
 */
export function planPurges(
  diff: ManifestDiff,
  providers: readonly PlannedProvider[],
  input: PlanInput,
): PurgePlan {
  const hazards = input.hazardPaths ?? hazardPathsOf(diff);
  const strategy = input.strategy ?? NO_STRATEGY;
  const reasonOf = new Map<string, PlanReason>();
  const targets: (UrlTarget & { reason: PlanReason })[] = [];
  const push = (reason: PlanReason, path: string) => {
    for (const urlPath of urlPathsFor(path, input.urls)) {
      const url = absoluteUrl(input.baseUrl, urlPath);
      if (reasonOf.has(url)) continue;
      reasonOf.set(url, reason);
      targets.push({ url, path, reason });
    }
  };
  for (const path of diff.changed) push(hazards.has(path) ? 'hazard' : 'changed', path);
  for (const path of diff.added) push('added', path);
  for (const path of diff.removed) push('removed', path);

  const changedPaths = new Set([...diff.changed, ...diff.added, ...diff.removed]);
  const known = input.known ?? [...changedPaths];
  const host = new URL(input.baseUrl).host;
  // Only an everything threshold given as a percentage needs the URL count of the whole site.
  const totalUrls = typeof strategy.everythingAbove === 'string' ? countUrls(known, input.urls) : 0;

  const plans = providers.map((provider): ProviderPlan => {
    const caps = provider.capabilities;
    const urlOnly = Math.ceil(targets.length / Math.max(1, caps.maxUrlsPerRequest));
    const mode = caps.mode ?? strategy.mode ?? 'auto';
    // Collapse targets (prefixes, tags) that reach a hazard's URL: those must be purged hard.
    const hazardous = new Set<string>();
    const finish = (entries: PlanEntry[], collateral: number): ProviderPlan => ({
      provider: provider.name,
      type: provider.type,
      entries: entries.map((entry) => withMode(entry, mode, caps, hazardous, targets)),
      requests: entries.length,
      lowerBound: urlOnly,
      collateral,
      minSeconds: minSeconds(entries.length, caps.rate),
      mode,
      ...repurgeOf(input.repurgeAfter, provider.name),
    });
    if (targets.length === 0) return finish([], 0);

    const canPurgeSite = caps.maxHostsPerRequest > 0 || caps.everything;
    if (canPurgeSite && targets.length > everythingThreshold(strategy.everythingAbove, totalUrls)) {
      // The site's host, not the provider's everything, where it can: a Cloudflare zone or a
      // Fastly service may serve other sites too.
      const entry: PlanEntry =
        caps.maxHostsPerRequest > 0
          ? { kind: 'hosts', hosts: [host], reason: 'collapsed' }
          : { kind: 'everything', hosts: [host], reason: 'collapsed' };
      return finish([entry], known.length - changedPaths.size);
    }

    const collapses: Collapse[] = [];
    if (caps.maxTagsPerRequest > 0 && strategy.tags.length > 0) {
      collapses.push(
        ...tagCollapses(targets, changedPaths, known, strategy.tags, strategy.maxCollateral),
      );
    }
    if (caps.maxPrefixesPerRequest > 0) {
      const covered = new Set(collapses.flatMap((c) => c.covers));
      collapses.push(
        ...prefixCollapses(
          targets.filter((t) => !covered.has(t.url)),
          changedPaths,
          known,
          {
            host,
            urls: input.urls,
            maxCollateral: strategy.maxCollateral,
            accepts: (prefix) => provider.checkPrefix?.(prefix) === undefined,
          },
        ),
      );
    }
    const covered = new Set(collapses.flatMap((c) => c.covers));
    for (const c of collapses)
      if (c.covers.some((url) => reasonOf.get(url) === 'hazard')) hazardous.add(c.target);
    const rest = targets.filter((t) => !covered.has(t.url));
    // Where this kind can be soft, collapses that reach a hazard go in batches of their own, so
    // one hazard does not make the others' batch hard too.
    const collapsedTargets = (kind: 'tags' | 'prefixes', limit: number) => {
      const ofKind = collapses.filter((c) => c.kind === kind).map((c) => c.target);
      if (mode === 'hard' || !(caps.softKinds ?? []).includes(kind)) return chunk(ofKind, limit);
      return [
        ...chunk(
          ofKind.filter((t) => hazardous.has(t)),
          limit,
        ),
        ...chunk(
          ofKind.filter((t) => !hazardous.has(t)),
          limit,
        ),
      ];
    };
    const collapsedEntries: PlanEntry[] = [
      ...collapsedTargets('tags', caps.maxTagsPerRequest).map(
        (tags): PlanEntry => ({ kind: 'tags', tags, reason: 'collapsed' }),
      ),
      ...collapsedTargets('prefixes', caps.maxPrefixesPerRequest).map(
        (prefixes): PlanEntry => ({ kind: 'prefixes', prefixes, reason: 'collapsed' }),
      ),
    ];
    const urlEntries = (list: typeof targets) =>
      REASONS.flatMap((reason) =>
        chunk(
          list.filter((t) => t.reason === reason).map((t) => t.url),
          caps.maxUrlsPerRequest,
        ).map((urls): PlanEntry => ({ kind: 'urls', urls, reason })),
      );
    const collapsed = [...collapsedEntries, ...urlEntries(rest)];
    const exact = urlEntries(targets);
    const collateral = collapses.reduce((sum, c) => sum + c.collateral, 0);
    // A collapse must pay for itself: fewer calls, or as many with nothing evicted needlessly.
    // A provider billed per path (CloudFront) weighs paths billed, not requests (cloudfront-paths.ts).
    const billing = caps.billing;
    const worth =
      collapses.length > 0 &&
      (billing !== undefined
        ? collapsePaysForPaths(
            collapsed.reduce((n, e) => n + batchTargets(e).length, 0),
            targets.length,
            collateral,
            billing.freePerMonth,
          )
        : collapsed.length < exact.length ||
          (collapsed.length === exact.length && collateral === 0));
    return worth ? finish(collapsed, collateral) : finish(exact, 0);
  });

  return { version: PLAN_VERSION, baseUrl: input.baseUrl, urls: targets.length, providers: plans };
}

/** The entry with its mode and why (purge-mode.ts). */
function withMode(
  entry: PlanEntry,
  setting: PurgeModeSetting,
  caps: ProviderCapabilities,
  hazardous: ReadonlySet<string>,
  targets: readonly { readonly reason: PlanReason }[],
): PlanEntry {
  const coversHazard =
    entry.kind === 'hosts' || entry.kind === 'everything'
      ? targets.some((t) => t.reason === 'hazard')
      : entry.kind !== 'urls' && batchItems(entry).some((item) => hazardous.has(item));
  const decision = decidePurgeMode({
    setting,
    kind: entry.kind,
    reason: entry.reason,
    coversHazard,
    softKinds: caps.softKinds ?? [],
  });
  return { ...entry, ...decision };
}

function batchItems(entry: PlanEntry): readonly string[] {
  return entry.kind === 'prefixes' ? entry.prefixes : entry.kind === 'tags' ? entry.tags : [];
}

/** A shielded provider's second round, or nothing. */
function repurgeOf(
  repurgeAfter: Readonly<Record<string, number>> | undefined,
  name: string,
): { repurge?: { afterSeconds: number } } {
  const afterSeconds = repurgeAfter?.[name];
  return afterSeconds === undefined ? {} : { repurge: { afterSeconds } };
}

/** Seconds the budget needs for `requests`: the burst goes at once, the rest at the rate. */
function minSeconds(requests: number, rate: RateBudget | undefined): number {
  if (rate === undefined || requests <= rate.burst) return 0;
  return Math.ceil(((requests - rate.burst) / rate.perSecond) * 10) / 10;
}

export interface ManualTargets {
  readonly urls: readonly string[];
  readonly prefixes: readonly string[];
  readonly tags?: readonly string[];
  readonly hosts?: readonly string[];
  readonly everything?: boolean;
}

/**
 * A plan for `edgepurge purge`: the given targets, reason `forced`, batched at each provider's
 * limits. What a provider cannot do is returned as problems (the caller refuses the plan):
 * nothing is silently dropped.
 */
export function planManualPurge(
  targets: ManualTargets,
  providers: readonly PlannedProvider[],
  baseUrl: string,
  options: {
    readonly mode?: PurgeModeSetting;
    readonly repurgeAfter?: Readonly<Record<string, number>>;
  } = {},
): { plan: PurgePlan; problems: string[] } {
  const problems: string[] = [];
  const plans = providers.map((provider): ProviderPlan => {
    const caps: ProviderCapabilities = provider.capabilities;
    const mode = caps.mode ?? options.mode ?? 'auto';
    const entries: PlanEntry[] = [];
    const add = (
      kind: 'urls' | 'prefixes' | 'tags' | 'hosts',
      items: readonly string[] | undefined,
      limit: number,
      what: string,
    ) => {
      if (items === undefined || items.length === 0) return;
      if (limit === 0) {
        problems.push(`provider "${provider.name}" cannot purge by ${what}`);
        return;
      }
      for (const batch of chunk(items, limit)) {
        entries.push({ ...makeBatch(kind, batch), reason: 'forced' });
      }
    };
    if (targets.everything === true) {
      if (caps.everything)
        entries.push({ kind: 'everything', hosts: [new URL(baseUrl).host], reason: 'forced' });
      else problems.push(`provider "${provider.name}" cannot purge everything`);
    }
    add('urls', targets.urls, caps.maxUrlsPerRequest, 'URL');
    for (const prefix of targets.prefixes) {
      const problem = provider.checkPrefix?.(prefix);
      if (problem !== undefined)
        problems.push(`provider "${provider.name}": prefix ${prefix}: ${problem}`);
    }
    add('prefixes', targets.prefixes, caps.maxPrefixesPerRequest, 'prefix');
    add('tags', targets.tags, caps.maxTagsPerRequest, 'tag');
    add('hosts', targets.hosts, caps.maxHostsPerRequest, 'host');
    return {
      provider: provider.name,
      type: provider.type,
      entries: entries.map((entry) => withMode(entry, mode, caps, new Set(), [])),
      requests: entries.length,
      lowerBound: entries.length,
      collateral: 0,
      minSeconds: minSeconds(entries.length, caps.rate),
      mode,
      ...repurgeOf(options.repurgeAfter, provider.name),
    };
  });
  return {
    plan: { version: PLAN_VERSION, baseUrl, urls: new Set(targets.urls).size, providers: plans },
    problems,
  };
}

/** Requests the plan sends per provider (one per entry). */
export function countRequests(plan: PurgePlan): number {
  return plan.providers.reduce((sum, provider) => sum + provider.entries.length, 0);
}

function hazardPathsOf(diff: ManifestDiff): Set<string> {
  return new Set(
    diff.hazards.filter((hazard) => hazard.kind === 'validator-unchanged').map((h) => h.path),
  );
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  const step = Math.max(1, Math.floor(size));
  for (let i = 0; i < items.length; i += step) out.push(items.slice(i, i + step));
  return out;
}

/** How many URLs the paths are served at. */
function countUrls(paths: PathList, urls: UrlOptions): number {
  let count = 0;
  for (const path of paths) count += urlPathsFor(path, urls).length;
  return count;
}
