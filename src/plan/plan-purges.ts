import type { ManifestDiff } from '../manifest/diff-manifests.ts';
import type { Provider, ProviderCapabilities, PurgeBatch } from '../providers/provider.ts';
import { absoluteUrl, type UrlOptions, urlPathsFor } from './map-urls.ts';

export const PLAN_VERSION = 1;

/** Why an entry is in the plan (STYLE.md: every decision says why). */
export type PlanReason = 'hazard' | 'changed' | 'added' | 'removed' | 'collapsed' | 'forced';

export type PlanEntry = PurgeBatch & { readonly reason: PlanReason };

export interface ProviderPlan {
  readonly provider: string;
  readonly type: string;
  /** Executed in order; each entry is one `purge` call. */
  readonly entries: readonly PlanEntry[];
}

/** The purge plan: a document `plan --json` prints and `deploy` executes exactly. */
export interface PurgePlan {
  readonly version: typeof PLAN_VERSION;
  readonly baseUrl: string;
  readonly providers: readonly ProviderPlan[];
  /** Distinct URLs the plan purges, across providers. */
  readonly urls: number;
}

export interface PlanInput {
  readonly baseUrl: string;
  readonly urls: UrlOptions;
  readonly hazardPaths?: ReadonlySet<string>;
}

/** The provider facts the planner needs; a Provider satisfies it. */
export type PlannedProvider = Pick<Provider, 'name' | 'type' | 'capabilities'>;

/**
 * Chooses the purges for a release. Pure: the same diff and providers always give the same plan.
 * URLs are grouped by reason (hazard first: those are the ones a missed purge makes stale for
 * good), then cut into batches at each provider's limit. An empty diff purges nothing.
 */
export function planPurges(
  diff: ManifestDiff,
  providers: readonly PlannedProvider[],
  input: PlanInput,
): PurgePlan {
  const hazards = input.hazardPaths ?? hazardPathsOf(diff);
  const groups: [PlanReason, string[]][] = [
    ['hazard', []],
    ['changed', []],
    ['added', []],
    ['removed', []],
  ];
  const seen = new Set<string>();
  const push = (reason: PlanReason, path: string) => {
    const group = groups.find(([name]) => name === reason) as [PlanReason, string[]];
    for (const urlPath of urlPathsFor(path, input.urls)) {
      const url = absoluteUrl(input.baseUrl, urlPath);
      if (seen.has(url)) continue;
      seen.add(url);
      group[1].push(url);
    }
  };
  for (const path of diff.changed) push(hazards.has(path) ? 'hazard' : 'changed', path);
  for (const path of diff.added) push('added', path);
  for (const path of diff.removed) push('removed', path);

  return {
    version: PLAN_VERSION,
    baseUrl: input.baseUrl,
    urls: seen.size,
    providers: providers.map((provider) => ({
      provider: provider.name,
      type: provider.type,
      entries: groups.flatMap(([reason, urls]) =>
        chunk(urls, provider.capabilities.maxUrlsPerRequest).map(
          (batch): PlanEntry => ({ kind: 'urls', urls: batch, reason }),
        ),
      ),
    })),
  };
}

export interface ManualTargets {
  readonly urls: readonly string[];
  readonly prefixes: readonly string[];
}

/**
 * A plan for `edgepurge purge`: the given URLs and prefixes, reason `forced`. Throws (via the
 * returned problems) when a provider cannot purge prefixes; the caller reports them.
 */
export function planManualPurge(
  targets: ManualTargets,
  providers: readonly PlannedProvider[],
  baseUrl: string,
): { plan: PurgePlan; problems: string[] } {
  const problems: string[] = [];
  const plans = providers.map((provider): ProviderPlan => {
    const caps: ProviderCapabilities = provider.capabilities;
    const entries: PlanEntry[] = chunk(targets.urls, caps.maxUrlsPerRequest).map((urls) => ({
      kind: 'urls',
      urls,
      reason: 'forced',
    }));
    if (targets.prefixes.length > 0) {
      if (caps.maxPrefixesPerRequest === 0) {
        problems.push(`provider "${provider.name}" cannot purge by prefix`);
      } else {
        for (const prefixes of chunk(targets.prefixes, caps.maxPrefixesPerRequest)) {
          entries.push({ kind: 'prefixes', prefixes, reason: 'forced' });
        }
      }
    }
    return { provider: provider.name, type: provider.type, entries };
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
