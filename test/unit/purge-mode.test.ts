import { describe, expect, it } from 'vitest';
import type { ManifestDiff } from '../../src/manifest/diff-manifests.ts';
import { hardenObserved } from '../../src/plan/harden-observed.ts';
import {
  type PlanEntry,
  type PlannedProvider,
  type PlanReason,
  planManualPurge,
  planPurges,
} from '../../src/plan/plan-purges.ts';
import { decidePurgeMode, type ModeInput, softModeWarnings } from '../../src/plan/purge-mode.ts';
import type {
  ProviderCapabilities,
  PurgeBatch,
  PurgeModeSetting,
} from '../../src/providers/provider.ts';
import { varnishCapabilities } from '../../src/providers/varnish.ts';

const SOFT_URLS_TAGS: PurgeBatch['kind'][] = ['urls', 'tags'];
const input = (over: Partial<ModeInput>): ModeInput => ({
  setting: 'auto',
  kind: 'urls',
  reason: 'changed',
  coversHazard: false,
  softKinds: SOFT_URLS_TAGS,
  ...over,
});

describe('decidePurgeMode', () => {
  const table: [string, Partial<ModeInput>, string, string][] = [
    ['auto, changed: soft', {}, 'soft', 'validator-changed'],
    ['auto, added: soft', { reason: 'added' }, 'soft', 'validator-changed'],
    ['auto, removed: soft (404 is no 304)', { reason: 'removed' }, 'soft', 'validator-changed'],
    ['auto, hazard: hard', { reason: 'hazard' }, 'hard', 'validator-unchanged'],
    [
      'soft, hazard: still hard',
      { setting: 'soft', reason: 'hazard' },
      'hard',
      'validator-unchanged',
    ],
    [
      'auto, a tag that reaches a hazard: hard',
      { kind: 'tags', reason: 'collapsed', coversHazard: true },
      'hard',
      'covers-hazard',
    ],
    ['auto, a clean tag: soft', { kind: 'tags', reason: 'collapsed' }, 'soft', 'validator-changed'],
    [
      'auto, a prefix (a BAN): no soft',
      { kind: 'prefixes', reason: 'collapsed' },
      'hard',
      'no-soft',
    ],
    ['auto, no soft provider: hard', { softKinds: [] }, 'hard', 'no-soft'],
    ['hard: always hard', { setting: 'hard' }, 'hard', 'mode-hard'],
    ['auto, manual: unknown', { reason: 'forced' }, 'hard', 'unknown-validator'],
    ['soft, manual: soft', { setting: 'soft', reason: 'forced' }, 'soft', 'requested-soft'],
    [
      'soft, manual, no soft provider: hard',
      { setting: 'soft', reason: 'forced', softKinds: [] },
      'hard',
      'no-soft',
    ],
  ];
  it.each(table)('%s', (_name, over, mode, modeReason) => {
    expect(decidePurgeMode(input(over))).toEqual({ mode, modeReason });
  });
});

// No prefix purges unless a test asks: two changed files in one folder would collapse into one.
const caps = (extra: Partial<ProviderCapabilities> = {}): ProviderCapabilities => ({
  maxUrlsPerRequest: 50,
  maxPrefixesPerRequest: 0,
  maxTagsPerRequest: 50,
  maxHostsPerRequest: 50,
  everything: true,
  concurrency: 1,
  ...extra,
});
const provider = (name: string, extra: Partial<ProviderCapabilities> = {}): PlannedProvider => ({
  name,
  type: 'memory',
  capabilities: caps(extra),
});
const diff = (over: Partial<ManifestDiff> = {}): ManifestDiff => ({
  added: [],
  changed: ['assets/app.js', 'assets/old.js'],
  removed: [],
  unchanged: 0,
  hazards: [{ path: 'assets/old.js', kind: 'validator-unchanged' }],
  ...over,
});
const options = (mode: PurgeModeSetting, extra: object = {}) => ({
  baseUrl: 'https://x.test',
  urls: { cleanUrls: false, basePath: '/' },
  strategy: { maxCollateral: 0, tags: [], mode },
  ...extra,
});
const modes = (entries: readonly { reason: PlanReason; mode?: string; modeReason?: string }[]) =>
  entries.map((entry) => [entry.reason, entry.mode, entry.modeReason]);

describe('planPurges: a mode and its reason on every entry', () => {
  it('auto: the changed URL soft, the hazard hard; a provider without soft purges all hard', () => {
    const plan = planPurges(
      diff(),
      [provider('varnish', { softKinds: SOFT_URLS_TAGS }), provider('cloudflare')],
      options('auto'),
    );
    expect(modes(plan.providers[0]?.entries ?? [])).toEqual([
      ['hazard', 'hard', 'validator-unchanged'],
      ['changed', 'soft', 'validator-changed'],
    ]);
    expect(modes(plan.providers[1]?.entries ?? [])).toEqual([
      ['hazard', 'hard', 'validator-unchanged'],
      ['changed', 'hard', 'no-soft'],
    ]);
    expect(plan.providers.map((p) => p.mode)).toEqual(['auto', 'auto']);
  });

  it('a collapse that reaches a hazard is hard, in a batch of its own; one that does not is soft', () => {
    const plan = planPurges(
      diff({
        changed: ['a/1.js', 'a/2.js', 'b/1.js', 'b/2.js'],
        hazards: [{ path: 'b/2.js', kind: 'validator-unchanged' }],
      }),
      [provider('tagged', { softKinds: ['urls', 'tags'], maxPrefixesPerRequest: 0 })],
      {
        ...options('auto'),
        strategy: {
          maxCollateral: 0,
          mode: 'auto' as const,
          tags: [
            { match: 'a/**', tag: 'a' },
            { match: 'b/**', tag: 'b' },
          ],
        },
      },
    );
    const entries = plan.providers[0]?.entries ?? [];
    expect(entries.map((e) => [e.kind === 'tags' ? e.tags : e.kind, e.mode, e.modeReason])).toEqual(
      [
        [['b'], 'hard', 'covers-hazard'],
        [['a'], 'soft', 'validator-changed'],
      ],
    );
  });

  it('an everything purge over a hazard is hard', () => {
    const plan = planPurges(diff(), [provider('site', { softKinds: ['urls', 'hosts'] })], {
      ...options('auto'),
      strategy: { maxCollateral: 0, tags: [], everythingAbove: 1, mode: 'auto' as const },
    });
    expect(plan.providers[0]?.entries).toEqual([
      {
        kind: 'hosts',
        hosts: ['x.test'],
        reason: 'collapsed',
        mode: 'hard',
        modeReason: 'covers-hazard',
      },
    ]);
  });

  it('soft keeps the hazard hard and warns; hard is hard throughout', () => {
    const soft = planPurges(
      diff(),
      [provider('v', { softKinds: SOFT_URLS_TAGS })],
      options('soft'),
    );
    expect(modes(soft.providers[0]?.entries ?? [])).toEqual([
      ['hazard', 'hard', 'validator-unchanged'],
      ['changed', 'soft', 'validator-changed'],
    ]);
    expect(softModeWarnings(soft.providers, 'soft')).toEqual([
      'purge.mode soft: 1 entry of v purged hard: the validator did not change: a revalidation would answer 304 and keep the old bytes',
    ]);
    const auto = planPurges(
      diff(),
      [provider('v', { softKinds: SOFT_URLS_TAGS })],
      options('auto'),
    );
    expect(softModeWarnings(auto.providers, 'auto')).toEqual([]);
    const hard = planPurges(
      diff(),
      [provider('v', { softKinds: SOFT_URLS_TAGS })],
      options('hard'),
    );
    expect(modes(hard.providers[0]?.entries ?? [])).toEqual([
      ['hazard', 'hard', 'mode-hard'],
      ['changed', 'hard', 'mode-hard'],
    ]);
  });

  it("a provider's own mode wins over purge.mode (Fastly soft: true)", () => {
    const plan = planPurges(
      diff({ hazards: [] }),
      [provider('fastly', { softKinds: SOFT_URLS_TAGS, mode: 'soft' })],
      options('hard'),
    );
    expect(plan.providers[0]?.mode).toBe('soft');
    expect(modes(plan.providers[0]?.entries ?? [])).toEqual([
      ['changed', 'soft', 'validator-changed'],
    ]);
  });

  it('Varnish declares soft URL and tag purges only with softPurge (its VCL must have them)', () => {
    expect(varnishCapabilities({ softPurge: false }).softKinds).toBeUndefined();
    expect(varnishCapabilities({ softPurge: true }).softKinds).toEqual(['urls', 'tags']);
  });

  it('shield.repurgeAfterSeconds gives the provider a repurge round; others none', () => {
    const plan = planPurges(
      diff(),
      [provider('inner'), provider('outer')],
      options('auto', {
        repurgeAfter: { outer: 2 },
      }),
    );
    expect(plan.providers.map((p) => p.repurge)).toEqual([undefined, { afterSeconds: 2 }]);
  });

  it('manual purges: hard in auto (validators unknown), soft when asked', () => {
    const targets = { urls: ['https://x.test/a.js'], prefixes: [] };
    const soft = [provider('v', { softKinds: SOFT_URLS_TAGS })];
    expect(
      planManualPurge(targets, soft, 'https://x.test').plan.providers[0]?.entries[0],
    ).toMatchObject({ mode: 'hard', modeReason: 'unknown-validator' });
    expect(
      planManualPurge(targets, soft, 'https://x.test', { mode: 'soft', repurgeAfter: { v: 1 } })
        .plan.providers[0],
    ).toMatchObject({
      entries: [{ mode: 'soft', modeReason: 'requested-soft' }],
      repurge: { afterSeconds: 1 },
    });
  });
});

describe('hardenObserved: soft entries reaching a URL the origin still validates as before go hard', () => {
  const soft = (over: object) => ({
    reason: 'changed' as const,
    mode: 'soft' as const,
    modeReason: 'validator-changed' as const,
    ...over,
  });
  const base = {
    provider: 'v',
    type: 'varnish',
    requests: 3,
    lowerBound: 1,
    collateral: 0,
    minSeconds: 0,
  };
  const plan = {
    version: 3,
    baseUrl: 'https://x.test',
    urls: 4,
    providers: [
      {
        ...base,
        entries: [
          soft({ kind: 'urls', urls: ['https://x.test/a.js', 'https://x.test/b.js'] }),
          soft({ kind: 'prefixes', prefixes: ['x.test/img/'], reason: 'collapsed' }),
          soft({ kind: 'prefixes', prefixes: ['x.test/css/'], reason: 'collapsed' }),
          {
            kind: 'urls',
            urls: ['https://x.test/c.js'],
            reason: 'hazard',
            mode: 'hard',
            modeReason: 'validator-unchanged',
          },
        ] as PlanEntry[],
      },
    ],
  };

  it('splits a URL batch, hardens a prefix that covers one, leaves the rest', () => {
    const { plan: out, hardened } = hardenObserved(
      plan,
      new Set(['https://x.test/b.js', 'https://x.test/img/logo.svg']),
    );
    expect(hardened).toBe(2);
    expect(out.providers[0]?.entries).toEqual([
      {
        kind: 'urls',
        urls: ['https://x.test/b.js'],
        reason: 'changed',
        mode: 'hard',
        modeReason: 'observed-unchanged',
      },
      {
        kind: 'urls',
        urls: ['https://x.test/a.js'],
        reason: 'changed',
        mode: 'soft',
        modeReason: 'validator-changed',
      },
      {
        kind: 'prefixes',
        prefixes: ['x.test/img/'],
        reason: 'collapsed',
        mode: 'hard',
        modeReason: 'observed-unchanged',
      },
      soft({ kind: 'prefixes', prefixes: ['x.test/css/'], reason: 'collapsed' }),
      plan.providers[0]?.entries[3],
    ]);
  });

  it('nothing observed: the same plan', () => {
    expect(hardenObserved(plan, new Set())).toEqual({ plan, hardened: 0 });
  });
});
