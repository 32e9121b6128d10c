import pLimit from 'p-limit';
import { isEdgepurgeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { PlanEntry, PurgePlan } from '../plan/plan-purges.ts';
import type { Provider } from '../providers/provider.ts';

export interface PurgeFailure {
  readonly provider: string;
  readonly target: string;
  readonly error: string;
  readonly code: string;
  readonly hint?: string;
}

export interface PurgeSummary {
  /** HTTP requests sent. */
  readonly requests: number;
  readonly urls: number;
  readonly prefixes: number;
  readonly failed: readonly PurgeFailure[];
}

export interface ExecuteOptions {
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Plan entries in flight per provider. */
  readonly concurrency?: number;
}

/**
 * Executes a plan exactly: providers in their configured order (inner cache first, so an outer
 * cache never refills from a stale inner one), entries of one provider concurrently. When a
 * provider fails, later providers are not purged and every failure is reported.
 */
export async function executePlan(
  plan: PurgePlan,
  providers: readonly Provider[],
  options: ExecuteOptions,
): Promise<PurgeSummary> {
  const byName = new Map(providers.map((provider) => [provider.name, provider]));
  const failed: PurgeFailure[] = [];
  let requests = 0;
  let urls = 0;
  let prefixes = 0;
  for (const providerPlan of plan.providers) {
    const provider = byName.get(providerPlan.provider);
    if (provider === undefined) throw new Error(`no provider named ${providerPlan.provider}`);
    const limit = pLimit(options.concurrency ?? 4);
    let done = 0;
    await Promise.all(
      providerPlan.entries.map((entry) =>
        limit(async () => {
          try {
            const outcome = await provider.purge(entry, options.signal);
            requests += outcome.requests;
            if (entry.kind === 'urls') urls += entry.urls.length;
            if (entry.kind === 'prefixes') prefixes += entry.prefixes.length;
          } catch (error) {
            failed.push(toFailure(provider.name, entry, error));
          }
          done++;
          if (done % 20 === 0 || done === providerPlan.entries.length) {
            options.log.info(
              `purge ${provider.name}: ${done}/${providerPlan.entries.length} batches`,
            );
          }
        }),
      ),
    );
    if (failed.length > 0) {
      const rest = plan.providers.slice(plan.providers.indexOf(providerPlan) + 1);
      if (rest.length > 0) {
        options.log.warn(
          `not purging ${rest.map((p) => p.provider).join(', ')}: ${provider.name} failed first`,
        );
      }
      break;
    }
  }
  return { requests, urls, prefixes, failed };
}

function toFailure(provider: string, entry: PlanEntry, error: unknown): PurgeFailure {
  const target =
    entry.kind === 'urls'
      ? entry.urls.join(' ')
      : entry.kind === 'prefixes'
        ? entry.prefixes.join(' ')
        : entry.kind === 'tags'
          ? entry.tags.join(' ')
          : 'everything';
  if (isEdgepurgeError(error)) {
    return { provider, target, error: error.message, code: error.code, hint: error.hint };
  }
  return { provider, target, error: String((error as Error)?.message ?? error), code: 'E_PURGE' };
}
