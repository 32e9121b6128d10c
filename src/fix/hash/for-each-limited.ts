/**
 * Runs `fn` over `items` with at most `concurrency` calls in flight, in order of start. Unlike
 * mapping every item to a queued promise (p-limit), it allocates nothing per item up front, so
 * a site of many files costs no more memory to walk than a small one. `fn` gets the number of
 * the worker (0 … concurrency-1) running it, to reuse a buffer per worker. The first failure
 * stops the workers from taking new items and is thrown once those in flight have settled.
 */
export async function forEachLimited<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, worker: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const work = async (worker: number) => {
    while (!failed && next < items.length) {
      const item = items[next] as T;
      next += 1;
      try {
        await fn(item, worker);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const workers = Math.max(1, Math.min(concurrency, items.length));
  const results = await Promise.allSettled(Array.from({ length: workers }, (_, i) => work(i)));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}
