import type { ProviderPlan, PurgePlan } from '../plan/plan-purges.ts';

/** One provider's turn as it ran: which provider, which round, how many batches, the wait before. */
export interface PurgeRound {
  readonly provider: string;
  /** 1, or 2 for a shielded provider's repurge (`shield.repurgeAfterSeconds`). */
  readonly round: number;
  /** Batches this round applied (or tried to). */
  readonly batches: number;
  /** Milliseconds waited before it (round 2 only): the shield's settle time. */
  readonly waitedMs?: number;
}

/** One step of the executor: a provider's plan for one round, and the wait before it. */
export interface PurgeStep {
  readonly plan: ProviderPlan;
  readonly round: number;
  /** Seconds to wait before this step (a repurge's `afterSeconds`); 0 for a first round. */
  readonly waitSeconds: number;
}

/**
 * The executor's steps, in the order they run: providers in plan (config) order, inner first;
 * a shielded provider's second round (its `repurge`) right after its first, so the next
 * provider starts only once the shielded one is purged twice. Round 2 purges the same set as
 * round 1 — or, on a resumed run, what the journal says round 2 has left (`repurge.entries`).
 * Pure.
 */
export function purgeSteps(plan: PurgePlan): PurgeStep[] {
  return plan.providers.flatMap((providerPlan): PurgeStep[] => {
    const first: PurgeStep = { plan: providerPlan, round: 1, waitSeconds: 0 };
    const repurge = providerPlan.repurge;
    if (repurge === undefined) return [first];
    const entries = repurge.entries ?? providerPlan.entries;
    // Nothing to purge twice: nothing changed, or a resumed run's round 2 was done already.
    if (entries.length === 0) return [first];
    return [
      first,
      {
        plan: { ...providerPlan, entries, requests: entries.length },
        round: 2,
        waitSeconds: repurge.afterSeconds,
      },
    ];
  });
}

/**
 * `shield.repurgeAfterSeconds` per provider name (`name`, else the type), for the planner: the
 * providers whose plans get a second round.
 */
export function repurgeAfterOf(
  configs: readonly {
    readonly type: string;
    readonly name?: string;
    readonly shield?: { readonly repurgeAfterSeconds: number };
  }[],
): Record<string, number> {
  return Object.fromEntries(
    configs.flatMap((config) =>
      config.shield === undefined
        ? []
        : [[config.name ?? config.type, config.shield.repurgeAfterSeconds] as const],
    ),
  );
}
