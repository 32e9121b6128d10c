import type { PurgePlan } from '../plan/plan-purges.ts';
import type { DeployOutcome } from './deploy.ts';
import type { DeployResult } from './result.ts';

/**
 * What `deploy --json` prints (and the Action's `json` output holds): the result and the plan it
 * executed, every entry with its reason; a dry run adds the exact requests it would send, as
 * each provider describes them. Pure.
 */
export function deployDocument(outcome: DeployOutcome): {
  readonly result: DeployResult & { readonly plan: PurgePlan };
  readonly document: DeployResult & { readonly plan: PurgePlan; readonly requests?: string[] };
  /** `provider: request` lines of a dry run; empty otherwise. */
  readonly requests: readonly string[];
} {
  const { dryRunCalls, ...result } = outcome;
  const requests = (dryRunCalls ?? []).flatMap((call) =>
    call.requests.map((line) => `${call.provider}: ${line}`),
  );
  return {
    result,
    document: result.dryRun ? { ...result, requests } : result,
    requests,
  };
}
