import pLimit from 'p-limit';
import { sameValidator } from '../origin/opaque-tag.ts';
import type { PurgePlan } from '../plan/plan-purges.ts';
import { type OriginTarget, probeOrigin } from '../verify/origin.ts';
import { type EdgeSnapshot, IDENTITY } from '../verify/snapshot.ts';

/**
 * The URLs of the plan's soft URL purges whose validator the origin, asked directly after the
 * upload (`verify.origin`), still sends as the edge held it before the purge (the snapshot):
 * the same ETag, or without ETags the same Last-Modified. A soft purge of those would
 * revalidate to 304 and keep the old bytes (hardenObserved makes them hard). A URL the origin
 * does not answer, or without a snapshot, is left as planned.
 */
export async function observeUnchangedValidators(
  plan: PurgePlan,
  snapshots: ReadonlyMap<string, EdgeSnapshot>,
  origin: OriginTarget,
  options: { readonly concurrency: number; readonly signal: AbortSignal },
): Promise<Set<string>> {
  const urls = [
    ...new Set(
      plan.providers.flatMap((provider) =>
        provider.entries.flatMap((entry) =>
          entry.kind === 'urls' && entry.mode === 'soft' ? entry.urls : [],
        ),
      ),
    ),
  ].filter((url) => snapshots.has(url));
  const limit = pLimit(options.concurrency);
  const unchanged = new Set<string>();
  await Promise.all(
    urls.map((url) =>
      limit(async () => {
        const before = snapshots.get(url);
        if (before === undefined || before.status !== 200) return;
        try {
          const now = await probeOrigin(origin, url, {
            method: 'HEAD',
            headers: IDENTITY,
            signal: options.signal,
          });
          if (now.status !== 200) return;
          const same =
            before.etag !== undefined || now.headers.etag !== undefined
              ? sameValidator(before.etag, now.headers.etag)
              : before.lastModified !== undefined &&
                before.lastModified === now.headers['last-modified'];
          if (same) unchanged.add(url);
        } catch {
          options.signal.throwIfAborted();
          // Not answered: nothing observed; the plan's prediction stands.
        }
      }),
    ),
  );
  return unchanged;
}
