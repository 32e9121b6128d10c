import type { PurgeSummary } from '../purge/execute-plan.ts';

/**
 * One line per invalidation a provider waited for (CloudFront): its id, how it ended and how
 * long it took — `cloudfront: invalidation I2J0I21PCUYOIK Completed in 41.5 s (8 paths)`.
 * Empty when the purge started nothing that completes later.
 */
export function invalidationLines(purge: Pick<PurgeSummary, 'invalidations'>): string[] {
  return (purge.invalidations ?? []).map(
    (work) =>
      `${work.provider}: invalidation ${work.id} ${work.waited === false ? `${work.status}, not waited for` : work.status === 'Completed' ? `Completed in ${work.seconds} s` : `still ${work.status} after ${work.seconds} s`} (${work.targets} ${work.targets === 1 ? 'path' : 'paths'}${work.resumed === true ? ', started by an earlier run' : ''})`,
  );
}
