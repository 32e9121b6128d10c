import type { DeployOutcome } from './deploy.ts';
import type { DeployResult } from './result.ts';

/**
 * What `deploy --json` prints (and the Action's `json` output holds): the result; a dry run adds
 * the plan and the exact requests it would send, as each provider describes them. Pure.
 */
export function deployDocument(outcome: DeployOutcome): {
  readonly result: DeployResult;
  readonly document: DeployResult & { readonly plan?: unknown; readonly requests?: string[] };
  /** `provider: request` lines of a dry run; empty otherwise. */
  readonly requests: readonly string[];
} {
  const { dryRunCalls, plan, ...result } = outcome;
  const requests = (dryRunCalls ?? []).flatMap((call) =>
    call.requests.map((line) => `${call.provider}: ${line}`),
  );
  return { result, document: result.dryRun ? { ...result, plan, requests } : result, requests };
}
