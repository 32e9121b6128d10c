import { describe, expect, it } from 'vitest';
import { mergeShardReports } from '../../src/report/merge-reports.ts';
import { renderMarkdown } from '../../src/report/render-markdown.ts';
import { renderVerifyText } from '../../src/report/render-text.ts';
import type { VerifyReport } from '../../src/verify/report-types.ts';
import { locationReport } from '../../src/verify/vantage/vantage-report.ts';

function shard(index: number, urls: string[], options: { staleFrom?: string } = {}): VerifyReport {
  const asia = urls.map((url, i) => ({
    url,
    fresh: !(options.staleFrom === 'Asia' && i === 0),
    method: 'body' as const,
    ...(options.staleFrom === 'Asia' && i === 0 ? { reason: 'ETag "old"' } : {}),
  }));
  const europe = urls.map((url) => ({ url, fresh: true, method: 'body' as const }));
  const probe = { continent: 'AS', country: 'JP', city: 'Tokyo', network: 'x' };
  const vantageOk = asia.every((u) => u.fresh);
  return {
    ok: vantageOk,
    checked: urls.length,
    stale: vantageOk
      ? []
      : [{ url: urls[0] ?? '', reason: 'stale from Asia', diagnosis: 'edge-stale' }],
    warnings: [],
    urls: urls.map((url) => ({
      url,
      path: url.slice(1),
      kind: 'serves',
      fresh: true,
      checks: [],
      diagnosis: 'fresh',
      attempts: 1,
      cache: {},
    })),
    startedAt: `2026-12-01T00:00:0${index}.000Z`,
    durationMs: 1000,
    vantage: {
      provider: 'globalping',
      ok: vantageOk,
      urls,
      changedHtml: 0,
      sampled: urls.length,
      tests: urls.length * 2,
      locations: [locationReport('Europe', europe), locationReport('Asia', asia, probe)],
      durationMs: 500,
    },
    shard: { index, count: 2, release: 'r'.repeat(64), config: 'c'.repeat(16), total: 3 },
  };
}

describe('mergeShardReports', () => {
  it('joins URLs, checks and each location across shards; one stale location fails the merge', () => {
    const merged = mergeShardReports([
      { file: 'b.json', report: shard(2, ['/c'], { staleFrom: 'Asia' }) },
      { file: 'a.json', report: shard(1, ['/a', '/b']) },
    ]);
    expect(merged).toMatchObject({ ok: false, checked: 3, merged: { count: 2 } });
    expect(merged.urls.map((u) => u.url)).toEqual(['/a', '/b', '/c']);
    expect(merged.startedAt).toBe('2026-12-01T00:00:01.000Z');
    expect(merged.durationMs).toBe(2000);
    expect(merged.vantage?.locations).toMatchObject([
      { location: 'Europe', ok: true, fresh: 3, stale: 0 },
      { location: 'Asia', ok: false, fresh: 2, stale: 1, probe: { city: 'Tokyo' } },
    ]);
    expect(merged.vantage).toMatchObject({ ok: false, tests: 6, sampled: 3 });
    expect(renderVerifyText(merged)).toContain('Asia (Tokyo, JP): 2 of 3 fresh, 1 STALE');
    expect(renderMarkdown(merged)).toContain('_merged from 2 shard reports');
  });

  it('all shards fresh: the merge is verified', () => {
    const merged = mergeShardReports([
      { file: 'a.json', report: shard(1, ['/a', '/b']) },
      { file: 'b.json', report: shard(2, ['/c']) },
    ]);
    expect(merged.ok).toBe(true);
    expect(renderVerifyText(merged)).toContain('verified: 3 URLs fresh');
  });

  it.each<[string, () => Parameters<typeof mergeShardReports>[0], string]>([
    [
      'another N',
      () => [
        { file: 'a.json', report: shard(1, ['/a']) },
        {
          file: 'b.json',
          report: { ...shard(2, ['/c']), shard: { ...shard(2, []).shard, count: 3 } as never },
        },
      ],
      'b.json is shard 2/3, a.json is one of 2',
    ],
    [
      'another config',
      () => [
        { file: 'a.json', report: shard(1, ['/a']) },
        {
          file: 'b.json',
          report: { ...shard(2, ['/c']), shard: { ...shard(2, []).shard, config: 'x' } as never },
        },
      ],
      'b.json was verified with other settings than a.json',
    ],
    [
      'not JSON of a report',
      () => [{ file: 'a.json', report: { ok: false, error: { code: 'E_CONFIG' } } }],
      'a.json is not an edgepurge verify --json report',
    ],
    ['no reports', () => [], 'no reports given'],
  ])('refuses %s', (_name, files, message) => {
    expect(() => mergeShardReports(files())).toThrow(
      expect.objectContaining({ exitCode: 2, message: expect.stringContaining(message) }),
    );
  });
});
