import type { PurgePlan } from '../plan/plan-purges.ts';
import { batchTargets } from '../providers/provider.ts';
import type { PurgeSummary } from '../purge/execute-plan.ts';
import { printable } from './printable.ts';

/** One entry of an executed plan, as a report row: who, what kind, why, and the targets. */
export interface PlanRow {
  readonly provider: string;
  readonly kind: string;
  readonly reason: string;
  /** `hard` or `soft`, and why (`soft: validator-changed`); plans before version 3: `hard`. */
  readonly mode: string;
  readonly targets: readonly string[];
}

/** The plan's entries in execution order, one row each (reports show why each was sent). Pure. */
export function planRows(plan: PurgePlan): PlanRow[] {
  return plan.providers.flatMap((provider) =>
    provider.entries.map((entry) => ({
      provider: provider.provider,
      kind: entry.kind,
      reason: entry.reason,
      mode:
        entry.modeReason === undefined
          ? (entry.mode ?? 'hard')
          : `${entry.mode ?? 'hard'}: ${entry.modeReason}`,
      targets: batchTargets(entry),
    })),
  );
}

/** At most `shown` targets, then how many more: a cell stays readable for a 500-URL batch. */
export function targetsCell(targets: readonly string[], shown = 3): string {
  const head = targets.slice(0, shown).join(', ');
  return targets.length > shown ? `${head}, … (${targets.length - shown} more)` : head;
}

/**
 * `order: inner, outer, outer again after 2 s`: the providers' turns as they ran, when there
 * was more than one (several providers, or a shield's second round). Pure.
 */
export function purgeOrderLine(purge: Pick<PurgeSummary, 'rounds'>): string | undefined {
  const rounds = purge.rounds ?? [];
  if (rounds.length < 2) return undefined;
  const turns = rounds.map((round) =>
    round.round === 1
      ? printable(round.provider)
      : `${printable(round.provider)} again after ${Math.round((round.waitedMs ?? 0) / 100) / 10} s (round ${round.round})`,
  );
  return `order: ${turns.join(', ')}`;
}
