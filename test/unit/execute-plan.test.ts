import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import type { PlanEntry, PurgePlan } from '../../src/plan/plan-purges.ts';
import { PurgeError } from '../../src/providers/purge-error.ts';
import { executePlan } from '../../src/purge/execute-plan.ts';
import { openJournal, withoutApplied } from '../../src/purge/journal.ts';
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
    expect(resumed.skipped).toBe(first.applied.length - 30);
    const second = memoryProvider('cdn');
    await executePlan(resumed.plan, [second], { signal, log: silentLogger, journal: journal2 });
    expect(new Set([...first.applied, ...second.applied])).toEqual(new Set(all));
    // Only the batch in flight at the kill may be sent twice; nothing is skipped.
    expect(second.applied.length).toBeLessThanOrEqual(all.length - resumed.skipped);
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
