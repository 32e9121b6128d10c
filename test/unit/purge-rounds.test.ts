import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import type { PlanEntry, ProviderPlan, PurgePlan } from '../../src/plan/plan-purges.ts';
import { dryRunProvider, type RecordedCall } from '../../src/providers/dry-run.ts';
import { batchTargets } from '../../src/providers/provider.ts';
import { PurgeError } from '../../src/providers/purge-error.ts';
import { executePlan } from '../../src/purge/execute-plan.ts';
import { openJournal, withoutApplied } from '../../src/purge/journal.ts';
import { purgeSteps, repurgeAfterOf } from '../../src/purge/purge-rounds.ts';
import { purgeOrderLine } from '../../src/report/plan-rows.ts';
import { fakeClock, memoryProvider } from '../support/memory-provider.ts';

const signal = new AbortController().signal;
const entry = (...urls: string[]): PlanEntry => ({
  kind: 'urls',
  urls: urls.map((u) => `https://x.test/${u}`),
  reason: 'changed',
  mode: 'soft',
  modeReason: 'validator-changed',
});
const providerPlan = (
  provider: string,
  entries: PlanEntry[],
  repurge?: ProviderPlan['repurge'],
): ProviderPlan => ({
  provider,
  type: 'memory',
  entries,
  requests: entries.length,
  lowerBound: entries.length,
  collateral: 0,
  minSeconds: 0,
  ...(repurge === undefined ? {} : { repurge }),
});
const plan = (...providers: ProviderPlan[]): PurgePlan => ({
  version: 3,
  baseUrl: 'https://x.test',
  urls: 0,
  providers,
});

describe('shield: the executor purges, waits, purges the same set again', () => {
  it('runs inner, then outer, waits repurgeAfterSeconds on the clock, then outer again; reports the order', async () => {
    const clock = fakeClock();
    const events: string[] = [];
    const inner = memoryProvider('inner', {}, clock);
    const outer = memoryProvider('outer', {}, clock);
    for (const provider of [inner, outer]) {
      const purge = provider.purge.bind(provider);
      provider.purge = async (batch, s) => {
        events.push(`${provider.name} ${batchTargets(batch).length}@${clock.now()}`);
        return purge(batch, s);
      };
    }
    const start = clock.now();
    const summary = await executePlan(
      plan(
        providerPlan('inner', [entry('a', 'b')]),
        providerPlan('outer', [entry('a', 'b'), entry('c')], { afterSeconds: 2 }),
      ),
      [inner, outer],
      { signal, log: silentLogger, clock },
    );
    expect(summary.failed).toEqual([]);
    // One wait, of the configured 2 s, between the outer's two rounds; nothing else slept.
    expect(clock.slept).toEqual([2000]);
    expect(events).toEqual([
      `inner 2@${start}`,
      `outer 2@${start}`,
      `outer 1@${start}`,
      `outer 2@${start + 2000}`,
      `outer 1@${start + 2000}`,
    ]);
    // The mode travels with the batch to the provider, in both rounds.
    expect(outer.calls.map((call) => call.batch.mode)).toEqual(['soft', 'soft', 'soft', 'soft']);
    expect(summary.rounds).toEqual([
      { provider: 'inner', round: 1, batches: 1 },
      { provider: 'outer', round: 1, batches: 2 },
      { provider: 'outer', round: 2, batches: 2, waitedMs: 2000 },
    ]);
    // URLs count once; requests count as sent.
    expect(summary.urls).toBe(5);
    expect(summary.requests).toBe(5);
    expect(purgeOrderLine(summary)).toBe('order: inner, outer, outer again after 2 s (round 2)');
  });

  it('no second round after a failed first one, and the next provider is not purged', async () => {
    const clock = fakeClock();
    const outer = memoryProvider('outer', {}, clock);
    const next = memoryProvider('next', {}, clock);
    outer.failAt = () => new PurgeError('E_TEST', 'refused', { kind: 'auth' });
    const summary = await executePlan(
      plan(
        providerPlan('outer', [entry('a')], { afterSeconds: 2 }),
        providerPlan('next', [entry('a')]),
      ),
      [outer, next],
      { signal, log: silentLogger, clock },
    );
    expect(summary.failed).toHaveLength(1);
    expect(clock.slept).toEqual([]);
    expect(outer.calls).toHaveLength(1);
    expect(next.calls).toHaveLength(0);
    expect(summary.rounds).toEqual([{ provider: 'outer', round: 1, batches: 1 }]);
  });

  it('a dry run records both rounds and waits for nothing', async () => {
    const clock = fakeClock();
    const calls: RecordedCall[] = [];
    const dry = dryRunProvider(memoryProvider('outer', {}, clock), calls);
    await executePlan(plan(providerPlan('outer', [entry('a')], { afterSeconds: 30 })), [dry], {
      signal,
      log: silentLogger,
      clock,
    });
    expect(calls).toHaveLength(2);
    expect(clock.slept).toEqual([]);
  });

  it('a provider with nothing to purge has no second round', () => {
    expect(purgeSteps(plan(providerPlan('outer', [], { afterSeconds: 2 })))).toHaveLength(1);
  });

  it('repurgeAfterOf: the delay per provider name (name, else type)', () => {
    expect(
      repurgeAfterOf([
        { type: 'varnish', name: 'inner' },
        { type: 'fastly', shield: { repurgeAfterSeconds: 2 } },
        { type: 'varnish', name: 'edge', shield: { repurgeAfterSeconds: 0.5 } },
      ]),
    ).toEqual({ fastly: 2, edge: 0.5 });
  });
});

describe('shield: round 2 in the journal, so a resumed run repurges what round 2 had left', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgepurge-rounds-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('journals round 2 apart from round 1; a run killed in round 2 resumes round 2 only, after the wait', async () => {
    const path = join(dir, 'journal.jsonl');
    const whole = plan(providerPlan('outer', [entry('a'), entry('b')], { afterSeconds: 2 }));

    // Run 1: round 1 done, round 2 dies at its second batch (the process is killed there).
    const clock = fakeClock();
    const outer = memoryProvider('outer', { concurrency: 1 }, clock);
    outer.failAt = (call) =>
      call === 3 ? new PurgeError('E_TEST', 'node restarting', { kind: 'auth' }) : undefined;
    const journal = await openJournal(path, 'release-1');
    const first = await executePlan(withoutApplied(whole, journal).plan, [outer], {
      signal,
      log: silentLogger,
      clock,
      journal,
    });
    await journal.close();
    expect(first.failed).toHaveLength(1);
    const lines = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { provider: 'outer', kind: 'urls', targets: ['https://x.test/a'] },
      { provider: 'outer', kind: 'urls', targets: ['https://x.test/b'] },
      { provider: 'outer', kind: 'urls', targets: ['https://x.test/a'], round: 2 },
    ]);

    // Run 2: round 1 is skipped whole; round 2 sends only b, after waiting again.
    const again = await openJournal(path, 'release-1');
    const resumed = withoutApplied(whole, again);
    expect(resumed.skipped).toBe(2);
    expect(resumed.plan.providers[0]?.entries).toEqual([]);
    expect(resumed.plan.providers[0]?.repurge).toEqual({
      afterSeconds: 2,
      entries: [entry('b')],
    });
    const clock2 = fakeClock();
    const outer2 = memoryProvider('outer', {}, clock2);
    const second = await executePlan(resumed.plan, [outer2], {
      signal,
      log: silentLogger,
      clock: clock2,
      journal: again,
    });
    await again.close();
    expect(second.failed).toEqual([]);
    expect(outer2.applied).toEqual(['https://x.test/b']);
    // The journal does not say when round 1 ended: the wait is taken again, which is cheap.
    expect(clock2.slept).toEqual([2000]);
    expect(second.rounds).toEqual([
      { provider: 'outer', round: 1, batches: 0 },
      { provider: 'outer', round: 2, batches: 1, waitedMs: 2000 },
    ]);
  });

  it('a run killed between the rounds repurges the whole set in round 2', async () => {
    const path = join(dir, 'journal.jsonl');
    const whole = plan(providerPlan('outer', [entry('a'), entry('b')], { afterSeconds: 1 }));
    const journal = await openJournal(path, 'release-2');
    await journal.record('outer', entry('a'));
    await journal.record('outer', entry('b'));
    await journal.close();
    const again = await openJournal(path, 'release-2');
    const resumed = withoutApplied(whole, again);
    await again.close();
    expect(resumed.plan.providers[0]?.entries).toEqual([]);
    expect(resumed.plan.providers[0]?.repurge?.entries).toEqual([entry('a'), entry('b')]);
  });
});
