import { describe, expect, it } from 'vitest';
import type { ManifestDiff } from '../../src/manifest/diff-manifests.ts';
import {
  countRequests,
  type PlannedProvider,
  planManualPurge,
  planPurges,
} from '../../src/plan/plan-purges.ts';

const provider = (name: string, maxUrls: number, maxPrefixes = 0): PlannedProvider => ({
  name,
  type: 'test',
  capabilities: {
    maxUrlsPerRequest: maxUrls,
    maxPrefixesPerRequest: maxPrefixes,
    maxTagsPerRequest: 0,
    maxHostsPerRequest: 0,
    everything: false,
    concurrency: 4,
  },
});
const diff = (over: Partial<ManifestDiff>): ManifestDiff => ({
  added: [],
  changed: [],
  removed: [],
  unchanged: 0,
  hazards: [],
  ...over,
});
const input = { baseUrl: 'https://www.example.com', urls: { cleanUrls: false, basePath: '/' } };

describe('planPurges', () => {
  it('an empty change set purges nothing, on every provider', () => {
    const plan = planPurges(diff({ unchanged: 5 }), [provider('a', 30), provider('b', 1)], input);
    expect(plan.urls).toBe(0);
    expect(plan.providers.map((p) => p.entries)).toEqual([[], []]);
    expect(countRequests(plan)).toBe(0);
  });

  it('purges both URLs of an index.html, with the reason of each group, hazards first', () => {
    const plan = planPurges(
      diff({
        changed: ['about/index.html', 'app.js'],
        added: ['new.css'],
        removed: ['old.txt'],
        hazards: [{ path: 'app.js', kind: 'validator-unchanged' }],
      }),
      [provider('edge', 30)],
      input,
    );
    expect(plan.providers[0]?.entries).toMatchObject([
      { kind: 'urls', reason: 'hazard', urls: ['https://www.example.com/app.js'] },
      {
        kind: 'urls',
        reason: 'changed',
        urls: ['https://www.example.com/about/', 'https://www.example.com/about/index.html'],
      },
      { kind: 'urls', reason: 'added', urls: ['https://www.example.com/new.css'] },
      { kind: 'urls', reason: 'removed', urls: ['https://www.example.com/old.txt'] },
    ]);
    expect(plan.urls).toBe(5);
  });

  it.each([
    { files: 1, limit: 30, batches: 1 },
    { files: 30, limit: 30, batches: 1 },
    { files: 31, limit: 30, batches: 2 },
    { files: 1000, limit: 30, batches: 34 },
    { files: 1000, limit: 500, batches: 2 },
    { files: 7, limit: 1, batches: 7 },
  ])(
    '$files changed files at $limit per request → $batches batches',
    ({ files, limit, batches }) => {
      const changed = Array.from({ length: files }, (_, i) => `f${String(i).padStart(4, '0')}.js`);
      const plan = planPurges(diff({ changed }), [provider('p', limit)], input);
      const entries = plan.providers[0]?.entries ?? [];
      expect(entries).toHaveLength(batches);
      const urls = entries.flatMap((entry) => (entry.kind === 'urls' ? entry.urls : []));
      expect(new Set(urls).size).toBe(files);
      expect(entries.every((entry) => entry.kind === 'urls' && entry.urls.length <= limit)).toBe(
        true,
      );
    },
  );

  it('plans each provider at its own batch size, in the configured order', () => {
    const plan = planPurges(
      diff({ changed: ['a', 'b', 'c'] }),
      [provider('inner', 1), provider('outer', 30)],
      input,
    );
    expect(plan.providers.map((p) => [p.provider, p.entries.length])).toEqual([
      ['inner', 3],
      ['outer', 1],
    ]);
  });

  it('is deterministic', () => {
    const d = diff({ changed: ['z', 'a/index.html'], added: ['m'] });
    expect(planPurges(d, [provider('p', 2)], input)).toEqual(
      planPurges(d, [provider('p', 2)], input),
    );
  });
});

describe('planManualPurge', () => {
  it('batches forced URLs and prefixes', () => {
    const { plan, problems } = planManualPurge(
      {
        urls: ['https://x.test/a', 'https://x.test/b', 'https://x.test/c'],
        prefixes: ['x.test/assets/'],
      },
      [provider('v', 2, 10)],
      'https://x.test',
    );
    expect(problems).toEqual([]);
    expect(plan.providers[0]?.entries).toMatchObject([
      { kind: 'urls', urls: ['https://x.test/a', 'https://x.test/b'], reason: 'forced' },
      { kind: 'urls', urls: ['https://x.test/c'], reason: 'forced' },
      { kind: 'prefixes', prefixes: ['x.test/assets/'], reason: 'forced' },
    ]);
  });

  it('reports a provider that cannot purge prefixes', () => {
    const { problems } = planManualPurge(
      { urls: [], prefixes: ['x.test/a/'] },
      [provider('cdn', 30, 0)],
      'https://x.test',
    );
    expect(problems).toEqual(['provider "cdn" cannot purge by prefix']);
  });
});

describe('planPurges strategies', () => {
  const cdn = (
    over: Partial<PlannedProvider['capabilities']> = {},
    checkPrefix?: PlannedProvider['checkPrefix'],
  ): PlannedProvider => ({
    name: 'cdn',
    type: 'test',
    capabilities: {
      maxUrlsPerRequest: 30,
      maxPrefixesPerRequest: 100,
      maxTagsPerRequest: 100,
      maxHostsPerRequest: 100,
      everything: true,
      concurrency: 4,
      ...over,
    },
    checkPrefix,
  });
  const files = (dir: string, n: number) => Array.from({ length: n }, (_, i) => `${dir}f${i}.js`);
  const base = { baseUrl: 'https://www.example.com', urls: { cleanUrls: false, basePath: '/' } };

  it('a directory whose every file changed becomes one exact prefix', () => {
    const changed = files('assets/', 40);
    const known = [...changed, 'index.html', 'about/index.html'];
    const plan = planPurges(diff({ changed }), [cdn()], { ...base, known });
    expect(plan.providers[0]?.entries).toMatchObject([
      { kind: 'prefixes', prefixes: ['www.example.com/assets/'], reason: 'collapsed' },
    ]);
    expect(plan.providers[0]).toMatchObject({ requests: 1, lowerBound: 2, collateral: 0 });
  });

  it.each([
    { maxCollateral: 0, expected: 'urls' },
    { maxCollateral: 4, expected: 'urls' },
    { maxCollateral: 5, expected: 'prefixes' },
  ])(
    'collateral: 5 unchanged files under the directory, maxCollateral $maxCollateral → $expected',
    ({ maxCollateral, expected }) => {
      const changed = files('assets/', 40);
      const known = [...changed, ...files('assets/old-', 5)];
      const plan = planPurges(diff({ changed }), [cdn()], {
        ...base,
        known,
        strategy: { maxCollateral, tags: [] },
      });
      expect(plan.providers[0]?.entries[0]?.kind).toBe(expected);
      expect(plan.providers[0]?.collateral).toBe(expected === 'prefixes' ? 5 : 0);
    },
  );

  it('never collapses into the root; the outermost qualifying directory wins', () => {
    const changed = [...files('a/', 20), ...files('a/b/', 20), 'index.html'];
    const plan = planPurges(diff({ changed }), [cdn()], { ...base, known: changed });
    const prefixes = plan.providers[0]?.entries.flatMap((e) =>
      e.kind === 'prefixes' ? e.prefixes : [],
    );
    expect(prefixes).toEqual(['www.example.com/a/']);
  });

  it('plans a first deploy of 60,000 files in nested folders in linear time (no per-folder URL scan)', () => {
    // Regression: every folder re-parsed every URL, so 32,000 files took 35 s and 60,000 would
    // outlast the test's timeout. Each folder below holds one unchanged file, so no prefix is
    // exact and every folder is examined.
    const added = Array.from({ length: 60_000 }, (_, i) => `d${i % 300}/s${i % 7}/f${i}.html`);
    const known = [...added, ...Array.from({ length: 300 }, (_, i) => `d${i}/keep.txt`)];
    const plan = planPurges(diff({ added }), [cdn()], { ...base, known });
    const entries = plan.providers[0]?.entries ?? [];
    expect(entries.every((e) => e.kind === 'prefixes' || e.kind === 'urls')).toBe(true);
    // The folders d*/s*/ are exact (all their files changed): one prefix each, 2,100 of them.
    const prefixes = entries.flatMap((e) => (e.kind === 'prefixes' ? e.prefixes : []));
    expect(prefixes).toHaveLength(2_100);
    expect(plan.urls).toBe(60_000);
  });

  it('keeps URLs when the provider refuses the prefix, or has no prefix purge', () => {
    const changed = files('assets/', 40);
    const refusing = planPurges(diff({ changed }), [cdn({}, () => 'too deep')], {
      ...base,
      known: changed,
    });
    const unable = planPurges(diff({ changed }), [cdn({ maxPrefixesPerRequest: 0 })], {
      ...base,
      known: changed,
    });
    for (const plan of [refusing, unable]) {
      expect(plan.providers[0]?.entries.map((e) => e.kind)).toEqual(['urls', 'urls']);
    }
  });

  it('a tag whose every file changed becomes one tag purge', () => {
    const changed = [...files('css/', 20), ...files('js/', 20)];
    const known = [...changed, 'index.html'];
    const plan = planPurges(diff({ changed }), [cdn({ maxPrefixesPerRequest: 0 })], {
      ...base,
      known,
      strategy: {
        maxCollateral: 0,
        tags: [
          { match: 'css/**', tag: 'styles' },
          { match: '**/*.html', tag: 'pages' },
        ],
      },
    });
    expect(plan.providers[0]?.entries).toMatchObject([
      { kind: 'tags', tags: ['styles'], reason: 'collapsed' },
      {
        kind: 'urls',
        urls: files('js/', 20).map((f) => `https://www.example.com/${f}`),
        reason: 'changed',
      },
    ]);
  });

  it.each([
    { everythingAbove: 50, changed: 51, expected: 'hosts' },
    { everythingAbove: 50, changed: 50, expected: 'urls' },
    { everythingAbove: '50%', changed: 51, expected: 'hosts' },
    { everythingAbove: '50%', changed: 50, expected: 'urls' },
  ])(
    'everythingAbove $everythingAbove with $changed of 100 changed → $expected',
    ({ everythingAbove, changed, expected }) => {
      const known = files('', 100);
      const plan = planPurges(
        diff({ changed: known.slice(0, changed) }),
        [cdn({ maxPrefixesPerRequest: 0 })],
        {
          ...base,
          known,
          strategy: { maxCollateral: 0, everythingAbove, tags: [] },
        },
      );
      expect(plan.providers[0]?.entries[0]?.kind).toBe(expected);
    },
  );

  it('purges everything only where the provider cannot purge the site by host', () => {
    const known = files('', 10);
    const strategy = { maxCollateral: 0, everythingAbove: 1, tags: [] };
    const plan = planPurges(
      diff({ changed: known }),
      [cdn({ maxHostsPerRequest: 0, maxPrefixesPerRequest: 0 })],
      {
        ...base,
        known,
        strategy,
      },
    );
    expect(plan.providers[0]?.entries).toMatchObject([
      { kind: 'everything', hosts: ['www.example.com'], reason: 'collapsed' },
    ]);
  });

  it('never purges everything for an empty change, nor on a provider that cannot', () => {
    const known = files('', 10);
    const strategy = { maxCollateral: 0, everythingAbove: 1, tags: [] };
    expect(
      planPurges(diff({}), [cdn()], { ...base, known, strategy }).providers[0]?.entries,
    ).toEqual([]);
    const unable = planPurges(
      diff({ changed: known }),
      [cdn({ everything: false, maxHostsPerRequest: 0, maxPrefixesPerRequest: 0 })],
      { ...base, known, strategy },
    );
    expect(unable.providers[0]?.entries.map((e) => e.kind)).toEqual(['urls']);
  });

  it('reports the least time the rate budget allows', () => {
    const changed = files('', 1000);
    const plan = planPurges(
      diff({ changed }),
      [cdn({ maxPrefixesPerRequest: 0, rate: { perSecond: 5 / 60, burst: 25 } })],
      {
        ...base,
        known: changed,
      },
    );
    expect(plan.providers[0]).toMatchObject({ requests: 34, lowerBound: 34, minSeconds: 108 });
  });
});
