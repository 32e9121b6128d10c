import { rebatch } from '../providers/provider.ts';
import type { PlanEntry, PurgePlan } from './plan-purges.ts';

/**
 * The plan with every soft entry that reaches a URL whose validator was *observed* unchanged
 * made hard (`modeReason: 'observed-unchanged'`): the origin model predicted a new validator,
 * but the origin, asked after the upload, still sends the one the edge holds, so a soft purge
 * would revalidate to 304 and keep the old bytes. Only ever hardens, so applying a plan
 * document this way still purges everything it names. Pure.
 *
 * A URL batch is split into its hard and its soft URLs; a prefix is hard when it covers such a
 * URL; a host, everything or tag purge is hard whenever any URL was observed unchanged (which
 * files a tag reaches is the origin's knowledge, not the plan's).
 */
export function hardenObserved(
  plan: PurgePlan,
  unchanged: ReadonlySet<string>,
): { plan: PurgePlan; hardened: number } {
  if (unchanged.size === 0) return { plan, hardened: 0 };
  let hardened = 0;
  const hard = (entry: PlanEntry): PlanEntry => ({
    ...entry,
    mode: 'hard',
    modeReason: 'observed-unchanged',
  });
  const providers = plan.providers.map((providerPlan) => ({
    ...providerPlan,
    entries: providerPlan.entries.flatMap((entry): PlanEntry[] => {
      if (entry.mode !== 'soft') return [entry];
      if (entry.kind === 'urls') {
        const stale = entry.urls.filter((url) => unchanged.has(url));
        if (stale.length === 0) return [entry];
        hardened += stale.length;
        const rest = entry.urls.filter((url) => !unchanged.has(url));
        const keep = (urls: string[]) => ({ ...rebatch(entry, urls), reason: entry.reason });
        return [
          hard(keep(stale)),
          ...(rest.length === 0 ? [] : [{ ...keep(rest), modeReason: entry.modeReason }]),
        ];
      }
      const reaches =
        entry.kind === 'prefixes'
          ? [...unchanged].some((url) =>
              entry.prefixes.some((prefix) => url.replace(/^[a-z]+:\/\//i, '').startsWith(prefix)),
            )
          : true;
      if (!reaches) return [entry];
      hardened += 1;
      return [hard(entry)];
    }),
  }));
  return { plan: { ...plan, providers }, hardened };
}
