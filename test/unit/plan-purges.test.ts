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
    expect(plan.providers[0]?.entries).toEqual([
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
    expect(plan.providers[0]?.entries).toEqual([
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
