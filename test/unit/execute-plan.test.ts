import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import type { PlanEntry, PurgePlan } from '../../src/plan/plan-purges.ts';
import { batchTargets, type PurgeBatch } from '../../src/providers/provider.ts';
import { PurgeError } from '../../src/providers/purge-error.ts';
import { executePlan } from '../../src/purge/execute-plan.ts';
import { noJournal, openJournal, withoutApplied } from '../../src/purge/journal.ts';
import type { RetryPolicy } from '../../src/purge/retry-policy.ts';
import { fakeClock, memoryProvider } from '../support/memory-provider.ts';

// Fast retries: p-retry's backoff is real time, so tests keep it at a millisecond.
const policy: RetryPolicy = {
  retries: 5,
  minDelayMs: 1,
  factor: 1,
  maxDelayMs: 1,
  retryAfterCapMs: 60_000,
};
const signal = new AbortController().signal;
const urls = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `https://x.test/${String(i + from).padStart(5, '0')}`);
const plan = (...providers: [string, PlanEntry[]][]): PurgePlan => ({
  version: 1,
  baseUrl: 'https://x.test',
  urls: 0,
  providers: providers.map(([provider, entries]) => ({
    provider,
    type: 'memory',
    entries,
    requests: entries.length,
    lowerBound: entries.length,
    collateral: 0,
    minSeconds: 0,
  })),
});
const batches = (all: string[], size: number): PlanEntry[] => {
  const out: PlanEntry[] = [];
  for (let i = 0; i < all.length; i += size)
    out.push({ kind: 'urls', urls: all.slice(i, i + size), reason: 'changed' });
  return out;
};
const failure = (kind: PurgeError['kind'], retryAfterMs?: number) =>
  new PurgeError('E_TEST', `test ${kind}`, { kind, retryAfterMs });

describe('executePlan', () => {
  it('paces to the rate budget so an account-wide limit is never hit', async () => {
    const clock = fakeClock();
    // Cloudflare Free: 5 requests a minute, a bucket of 25.
    const rate = { perSecond: 5 / 60, burst: 25 };
    const cdn = memoryProvider('cdn', { maxUrlsPerRequest: 30, rate, concurrency: 4 }, clock);
    // The provider answers 429 whenever its own bucket of the same budget would be empty.
    let tokens = rate.burst;
    let last = clock.now();
    cdn.failAt = () => {
      tokens = Math.min(rate.burst, tokens + ((clock.now() - last) / 1000) * rate.perSecond);
      last = clock.now();
      if (tokens < 1) return failure('rate-limit', 12_000);
      tokens -= 1;
      return undefined;
    };
    const all = urls(1000);
    const summary = await executePlan(plan(['cdn', batches(all, 30)]), [cdn], {
      signal,
      log: silentLogger,
      clock,
      retry: policy,
    });
    expect(summary.failed).toEqual([]);
    expect(summary.rateLimited).toBe(0);
    expect(summary.requests).toBe(Math.ceil(1000 / 30));
    expect(new Set(cdn.applied)).toEqual(new Set(all));
    // 34 requests: 25 at once, then 9 more at 12 s each.
    expect(clock.now() - 1_000_000).toBeGreaterThanOrEqual(9 * 12_000 - 1);
    expect(clock.now() - 1_000_000).toBeLessThan(10 * 12_000);
  });

  it('retries 5xx, resets and timeouts; every URL applied exactly once', async () => {
    const clock = fakeClock();
    const cdn = memoryProvider('cdn', {}, clock);
    const kinds = ['server', 'network', 'timeout'] as const;
    cdn.failAt = (call) =>
      call % 3 === 1 ? failure(kinds[call % kinds.length] ?? 'server') : undefined;
    const all = urls(300);
    const summary = await executePlan(plan(['cdn', batches(all, 30)]), [cdn], {
      signal,
      log: silentLogger,
      clock,
      retry: policy,
    });
    expect(summary.failed).toEqual([]);
    expect(summary.retries).toBeGreaterThan(0);
    expect(cdn.applied.sort()).toEqual(all);
    expect(summary.requests).toBe(cdn.calls.length);
  });

  it('honours Retry-After up to the cap, holding the whole provider', async () => {
    const clock = fakeClock();
    const cdn = memoryProvider('cdn', { concurrency: 1 }, clock);
    cdn.failAt = (call) => (call === 0 ? failure('rate-limit', 3_600_000) : undefined);
    const summary = await executePlan(plan(['cdn', batches(urls(60), 30)]), [cdn], {
      signal,
      log: silentLogger,
      clock,
      retry: { ...policy, retryAfterCapMs: 45_000 },
    });
    expect(summary.rateLimited).toBe(1);
    expect(clock.slept).toEqual([45_000]);
    expect(cdn.calls[1]?.at).toBe(1_000_000 + 45_000);
    expect(cdn.applied).toHaveLength(60);
  });

  it('an auth failure fails at once and the next provider is not purged', async () => {
    const inner = memoryProvider('shield');
    const outer = memoryProvider('cdn');
    inner.failAt = () => failure('auth');
    const summary = await executePlan(
      plan(['shield', batches(urls(10), 5)], ['cdn', batches(urls(10), 5)]),
      [inner, outer],
      { signal, log: silentLogger, retry: policy },
    );
    expect(inner.calls).toHaveLength(2);
    expect(outer.calls).toHaveLength(0);
    expect(summary.failed.map((f) => [f.provider, f.code])).toEqual([
      ['shield', 'E_TEST'],
      ['shield', 'E_TEST'],
    ]);
    expect(summary.retries).toBe(0);
  });

  it('a batch refused as too large is split until accepted, none lost or doubled', async () => {
    const cdn = memoryProvider('cdn');
    cdn.failAt = (_call, batch) =>
      batch.kind === 'urls' && batch.urls.length > 7 ? failure('too-large') : undefined;
    const all = urls(100);
    const summary = await executePlan(plan(['cdn', batches(all, 30)]), [cdn], {
      signal,
      log: silentLogger,
      retry: policy,
    });
    expect(summary.failed).toEqual([]);
    expect(summary.splits).toBeGreaterThan(0);
    expect(cdn.applied.sort()).toEqual(all);
    expect(summary.urls).toBe(100);
  });

  it('runs providers in the configured order', async () => {
    const order: string[] = [];
    const inner = memoryProvider('shield');
    const outer = memoryProvider('cdn');
    inner.failAt = () => {
      order.push('shield');
      return undefined;
    };
    outer.failAt = () => {
      order.push('cdn');
      return undefined;
    };
    await executePlan(
      plan(['shield', batches(urls(90), 30)], ['cdn', batches(urls(90), 30)]),
      [outer, inner],
      {
        signal,
        log: silentLogger,
      },
    );
    expect(order).toEqual(['shield', 'shield', 'shield', 'cdn', 'cdn', 'cdn']);
  });
});

describe('executePlan: the unit of retry is the request', () => {
  // A per-URL provider (Fastly, Varnish): a batch of n URLs is n requests.
  const perUrl = (clock = fakeClock()) => {
    const cdn = memoryProvider('cdn', { concurrency: 2 }, clock);
    return { cdn, clock };
  };
  const acceptedTwice = (cdn: ReturnType<typeof memoryProvider>) => {
    const seen = new Set<string>();
    const twice: string[] = [];
    for (const request of cdn.requests) {
      if (seen.has(request.target)) twice.push(request.target);
      if (request.accepted) seen.add(request.target);
    }
    return twice;
  };

  it("the issue's case: 6 URLs, a 429 every 4th request, 20 % 503s, a budget of 2: all purged, none resent", async () => {
    const { cdn, clock } = perUrl();
    cdn.failRequest = (n) =>
      n % 4 === 3 ? failure('rate-limit', 1_000) : n % 5 === 0 ? failure('server') : undefined;
    const all = urls(6);
    const summary = await executePlan(plan(['cdn', batches(all, 50)]), [cdn], {
      signal,
      log: silentLogger,
      clock,
      retry: { ...policy, retries: 2 },
    });
    expect(summary.failed).toEqual([]);
    expect(summary.urls).toBe(6);
    expect([...cdn.applied].sort()).toEqual(all);
    // Sent again only while not accepted: an accepted URL never goes twice.
    expect(acceptedTwice(cdn)).toEqual([]);
    expect(summary.requests).toBe(cdn.requests.length);
    expect(summary.rateLimited).toBe(cdn.requests.filter((_, n) => n % 4 === 3).length);
    expect(summary.rateLimited).toBeGreaterThan(0);
    expect(summary.retries).toBe(cdn.requests.filter((r) => !r.accepted).length);
  });

  it('429s are bounded by time, not by the error budget', async () => {
    const { cdn, clock } = perUrl();
    // Twenty 429s in a row for the one URL, then accepted; one error retry allowed.
    cdn.failRequest = (n) => (n < 20 ? failure('rate-limit', 2_000) : undefined);
    const summary = await executePlan(plan(['cdn', batches(urls(1), 50)]), [cdn], {
      signal,
      log: silentLogger,
      clock,
      retry: { ...policy, retries: 1 },
      maxWaitSeconds: 60,
    });
    expect(summary.failed).toEqual([]);
    expect(summary.urls).toBe(1);
    expect(summary.rateLimited).toBe(20);
    // Each 429 waited for its Retry-After on the (virtual) clock.
    expect(clock.slept).toEqual(Array(20).fill(2_000));
  });

  it('a 429 without Retry-After still waits the floor, so a storm ends by time', async () => {
    const { cdn, clock } = perUrl();
    cdn.failRequest = () => failure('rate-limit', 0);
    const summary = await executePlan(plan(['cdn', batches(urls(1), 50)]), [cdn], {
      signal,
      log: silentLogger,
      clock,
      retry: { ...policy, rateLimitFloorMs: 1_000 },
      maxWaitSeconds: 10,
    });
    expect(clock.slept).toEqual(Array(10).fill(1_000));
    expect(summary.failed).toHaveLength(1);
    expect(summary.rateLimited).toBe(11);
  });

  it('a 429 storm longer than maxWaitSeconds fails precisely: accepted URLs counted and journaled, the rest named', async () => {
    const { cdn, clock } = perUrl();
    // The first 4 requests are accepted; from then on, every request meets a 429 (reset 60 s).
    cdn.failRequest = (n) => (n < 4 ? undefined : failure('rate-limit', 60_000));
    const records: string[] = [];
    const journal = {
      ...noJournal,
      record: async (_provider: string, batch: PurgeBatch) => {
        records.push(...batchTargets(batch));
      },
    };
    const all = urls(10);
    const summary = await executePlan(plan(['cdn', batches(all, 50)]), [cdn], {
      signal,
      log: silentLogger,
      clock,
      retry: { ...policy, retryAfterCapMs: 60_000 },
      journal,
      maxWaitSeconds: 300,
    });
    // 300 s allow five waits of 60 s: six rounds of the 6 URLs left, then they are given up.
    expect(clock.slept).toEqual(Array(5).fill(60_000));
    expect(summary.urls).toBe(4);
    expect(records).toEqual(all.slice(0, 4));
    expect(summary.failed).toHaveLength(1);
    const [failed] = summary.failed;
    expect(failed?.targets).toEqual(all.slice(4));
    expect(failed?.target).toBe(`${all.slice(4, 7).join(' ')} … (6)`);
    expect(failed?.error).toContain('still rate-limited after waiting 300 s');
    expect(failed?.error).toContain('purge.maxWaitSeconds is 300');
    expect(failed?.hint).toContain('raise purge.maxWaitSeconds');
    expect(summary.rateLimited).toBe(36);
    expect(summary.retries).toBe(30);
    expect(cdn.requests.filter((r) => all.slice(0, 4).includes(r.target))).toHaveLength(4);
  });

  it("a request that spends its error budget fails alone: the batch's other URLs are purged", async () => {
    const { cdn, clock } = perUrl();
    const all = urls(10);
    const broken = all[3] as string;
    cdn.failRequest = (_n, target) => (target === broken ? failure('server') : undefined);
    const summary = await executePlan(plan(['cdn', batches(all, 50)]), [cdn], {
      signal,
      log: silentLogger,
      clock,
      retry: { ...policy, retries: 3 },
    });
    expect(summary.urls).toBe(9);
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0]?.targets).toEqual([broken]);
    expect(summary.failed[0]?.error).toBe('test server (failed 4 times; no retries left)');
    // The nine were sent once; the broken one four times (1 + 3 retries).
    expect(cdn.requests.filter((r) => r.target === broken)).toHaveLength(4);
    expect(cdn.requests).toHaveLength(13);
    expect(summary.retries).toBe(3);
  });

  it('a rate limit that outlasts maxWaitSeconds stops the provider: the batches after it are not sent', async () => {
    const clock = fakeClock();
    const cdn = memoryProvider('cdn', { concurrency: 1 }, clock);
    cdn.failAt = () => failure('rate-limit', 10_000);
    const all = urls(150);
    const summary = await executePlan(plan(['cdn', batches(all, 30)]), [cdn], {
      signal,
      log: silentLogger,
      clock,
      retry: { ...policy, retryAfterCapMs: 10_000 },
      maxWaitSeconds: 30,
    });
    // The first batch tried 4 times (3 waits of 10 s); the other four were never sent.
    expect(cdn.calls).toHaveLength(4);
    expect(clock.now() - 1_000_000).toBe(30_000);
    expect(summary.failed).toHaveLength(5);
    expect(summary.failed.slice(1).every((f) => f.error.startsWith('not sent: '))).toBe(true);
    expect(summary.failed.flatMap((f) => f.targets)).toEqual(all);
  });

  it('a reset further away than maxWaitSeconds fails at once, saying so', async () => {
    const { cdn, clock } = perUrl();
    cdn.failRequest = () => failure('rate-limit', 3_600_000);
    const summary = await executePlan(plan(['cdn', batches(urls(2), 50)]), [cdn], {
      signal,
      log: silentLogger,
      clock,
      retry: { ...policy, retryAfterCapMs: 3_600_000 },
      maxWaitSeconds: 300,
    });
    expect(clock.slept).toEqual([]);
    expect(summary.failed[0]?.error).toContain(
      'the reset is 3600 s away, past purge.maxWaitSeconds (300)',
    );
    expect(summary.failed[0]?.targets).toEqual(urls(2));
  });

  it('a refusal no retry cures keeps what was accepted and reports only the rest', async () => {
    const { cdn, clock } = perUrl();
    const all = urls(5);
    cdn.failRequest = (_n, target) => (target === all[2] ? failure('auth') : undefined);
    const summary = await executePlan(plan(['cdn', batches(all, 50)]), [cdn], {
      signal,
      log: silentLogger,
      clock,
      retry: policy,
    });
    expect(summary.urls).toBe(4);
    expect(summary.failed.map((f) => f.targets)).toEqual([[all[2]]]);
    expect(summary.retries).toBe(0);
  });
});

describe('journal: an interrupted purge resumes, skipping nothing', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgepurge-journal-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a run that stops at batch 4 is resumed with only the rest', async () => {
    const path = join(dir, 'baseline.json.journal');
    const all = urls(300);
    const full = plan(['cdn', batches(all, 30)]);
    const first = memoryProvider('cdn', { concurrency: 1 });
    const controller = new AbortController();
    first.failAt = (call) => {
      if (call === 4) controller.abort(new Error('killed'));
      return undefined;
    };
    const journal1 = await openJournal(path, 'release-a');
    await expect(
      executePlan(full, [first], {
        signal: controller.signal,
        log: silentLogger,
        journal: journal1,
      }),
    ).rejects.toThrow('killed');
    await journal1.close();

    const journal2 = await openJournal(path, 'release-a');
    const resumed = withoutApplied(full, journal2);
    // Every batch the provider accepted is journaled, the one it accepted as the kill came too.
    expect(resumed.skipped).toBe(first.applied.length);
    const second = memoryProvider('cdn');
    await executePlan(resumed.plan, [second], { signal, log: silentLogger, journal: journal2 });
    expect(new Set([...first.applied, ...second.applied])).toEqual(new Set(all));
    // Only the batch in flight at the kill may be sent twice; nothing is skipped.
    expect(second.applied.length).toBeLessThanOrEqual(all.length - resumed.skipped);
    await journal2.remove();
  });

  it('what a failed batch had accepted is journaled: the resume sends only the rest', async () => {
    const path = join(dir, 'baseline.json.journal');
    const all = urls(50);
    const full = plan(['cdn', batches(all, 50)]);
    const first = memoryProvider('cdn', {}, fakeClock());
    // One request per URL; the 13th and 40th URLs' nodes are down for the whole first run.
    const down = new Set([all[12], all[39]]);
    first.failRequest = (_n, target) => (down.has(target) ? failure('server') : undefined);
    const journal1 = await openJournal(path, 'release-a');
    const failed = await executePlan(full, [first], {
      signal,
      log: silentLogger,
      clock: fakeClock(),
      retry: { ...policy, retries: 2 },
      journal: journal1,
    });
    await journal1.close();
    expect(failed.urls).toBe(48);
    expect(failed.failed.flatMap((f) => f.targets)).toEqual([all[12], all[39]]);

    const journal2 = await openJournal(path, 'release-a');
    const resumed = withoutApplied(full, journal2);
    expect(resumed.skipped).toBe(48);
    const second = memoryProvider('cdn');
    const summary = await executePlan(resumed.plan, [second], {
      signal,
      log: silentLogger,
      journal: journal2,
    });
    expect(summary).toMatchObject({ urls: 2, failed: [] });
    expect(second.applied).toEqual([all[12], all[39]]);
    await journal2.remove();
  });

  it('a journal of another release is discarded; a torn last line is ignored', async () => {
    const path = join(dir, 'j');
    const journal = await openJournal(path, 'release-a');
    await journal.record('cdn', { kind: 'urls', urls: ['https://x.test/a'] });
    await journal.close();
    const { appendFile } = await import('node:fs/promises');
    await appendFile(path, '{"provider":"cdn","kind":"urls","targets":["https://x.t');
    const same = await openJournal(path, 'release-a');
    expect(same.done('cdn', 'urls', 'https://x.test/a')).toBe(true);
    await same.close();
    const other = await openJournal(path, 'release-b');
    expect(other.done('cdn', 'urls', 'https://x.test/a')).toBe(false);
    await other.close();
    expect((await readFile(path, 'utf8')).split('\n')[0]).toContain('release-b');
  });
});
