import type { PurgePlan } from '../plan/plan-purges.ts';
import { batchTargets } from '../providers/provider.ts';

/** One entry of an executed plan, as a report row: who, what kind, why, and the targets. */
export interface PlanRow {
  readonly provider: string;
  readonly kind: string;
  readonly reason: string;
  readonly targets: readonly string[];
}

/** The plan's entries in execution order, one row each (reports show why each was sent). Pure. */
export function planRows(plan: PurgePlan): PlanRow[] {
  return plan.providers.flatMap((provider) =>
    provider.entries.map((entry) => ({
      provider: provider.provider,
      kind: entry.kind,
      reason: entry.reason,
      targets: batchTargets(entry),
    })),
  );
}

/** At most `shown` targets, then how many more: a cell stays readable for a 500-URL batch. */
export function targetsCell(targets: readonly string[], shown = 3): string {
  const head = targets.slice(0, shown).join(', ');
  return targets.length > shown ? `${head}, … (${targets.length - shown} more)` : head;
}
