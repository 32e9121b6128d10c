import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseShard, selectShard, shardOf } from '../../src/verify/shard.ts';
import type { VerifyTarget } from '../../src/verify/targets.ts';
import type { ProbeResultItem } from '../../src/verify/vantage/globalping-client.ts';
import { judgeProbe, type VantageExpectation } from '../../src/verify/vantage/judge-probe.ts';
import { selectVantageUrls } from '../../src/verify/vantage/vantage-urls.ts';
import { measurementRequest } from '../../src/verify/vantage/verify-vantage.ts';

const urls = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ url: `https://www.example.com/p/${i}.html` }));

/** A seeded shuffle (mulberry32), so the test is the same on every run. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('shard selection', () => {
  it.each([1, 2, 3, 4, 7, 16])('the %i shards partition the URL set', (count) => {
    const items = urls(500);
    const parts = Array.from({ length: count }, (_, i) =>
      selectShard(items, { index: i + 1, count }),
    );
    const seen = parts.flat().map((item) => item.url);
    expect(seen).toHaveLength(items.length);
    expect(new Set(seen).size).toBe(items.length);
    // Roughly even: no shard empty or holding more than twice its share.
    for (const part of parts) {
      expect(part.length).toBeGreaterThan(0);
      expect(part.length).toBeLessThan((2 * items.length) / count);
    }
  });

  it('is stable when the list is reordered or grows: a URL keeps its shard', () => {
    const items = urls(200);
    const before = new Map(items.map((item) => [item.url, shardOf(item.url, 5)]));
    const reordered = shuffled(items, 42);
    const grown = [...reordered, ...urls(260).slice(200)];
    for (let index = 1; index <= 5; index++) {
      for (const item of selectShard(grown, { index, count: 5 })) {
        if (before.has(item.url)) expect(before.get(item.url)).toBe(index);
      }
      expect(
        selectShard(reordered, { index, count: 5 })
          .map((i) => i.url)
          .sort(),
      ).toEqual(
        selectShard(items, { index, count: 5 })
          .map((i) => i.url)
          .sort(),
      );
    }
  });

  it.each([
    ['1/1', { index: 1, count: 1 }],
    ['3/4', { index: 3, count: 4 }],
    [' 2 / 5 ', { index: 2, count: 5 }],
  ])('parses %j', (value, shard) => {
    expect(parseShard(value)).toEqual(shard);
  });

  it.each(['0/4', '5/4', '1/0', 'a/4', '1/4/2', '', '1.5/4', '-1/4', '1/257'])(
    'refuses %j naming --shard',
    (value) => {
      expect(() => parseShard(value)).toThrow(
        expect.objectContaining({ at: '--shard', exitCode: 2 }),
      );
    },
  );
});

function target(path: string, changed: boolean): VerifyTarget {
  return {
    kind: 'serves',
    url: `https://www.example.com/${path}`,
    path,
    sha256: 'a'.repeat(64),
    changed,
    validatorKept: false,
  };
}

describe('vantage URL selection', () => {
  const targets: VerifyTarget[] = [
    target('index.html', true),
    target('blog/a.html', true),
    target('assets/app.js', true),
    ...Array.from({ length: 40 }, (_, i) => target(`assets/img-${i}.png`, false)),
    { kind: 'removed', url: 'https://www.example.com/old.html', path: 'old.html' },
  ];

  it('takes every changed HTML URL and `sample` of the rest, the same for one release in any order', () => {
    const one = selectVantageUrls(targets, 'release-1', 5);
    expect(one.changedHtml.map((t) => t.path)).toEqual(['index.html', 'blog/a.html']);
    expect(one.sampled).toHaveLength(5);
    expect(one.sampled.some((t) => t.path === 'index.html' || t.path === 'blog/a.html')).toBe(
      false,
    );
    const again = selectVantageUrls(shuffled(targets, 7), 'release-1', 5);
    expect(again.sampled.map((t) => t.url)).toEqual(one.sampled.map((t) => t.url));
  });

  it('another release samples other URLs; a sample larger than the rest takes all of it', () => {
    const a = selectVantageUrls(targets, 'release-1', 5).sampled.map((t) => t.url);
    const b = selectVantageUrls(targets, 'release-2', 5).sampled.map((t) => t.url);
    expect(b).not.toEqual(a);
    expect(selectVantageUrls(targets, 'release-1', 1000).sampled).toHaveLength(targets.length - 2);
    expect(selectVantageUrls(targets, 'release-1', 0).sampled).toEqual([]);
  });

  it('measures a URL with its scheme, port, path and query', () => {
    expect(measurementRequest('https://www.example.com:8443/a/b.html?x=1', 'id1')).toEqual({
      type: 'http',
      target: 'www.example.com',
      locations: 'id1',
      measurementOptions: {
        request: { method: 'GET', path: '/a/b.html', query: 'x=1' },
        protocol: 'HTTPS',
        port: 8443,
      },
    });
  });
});

describe('judgeProbe', () => {
  const body = '<h1>release 2</h1>\n';
  const realSha = (text: string) => createHash('sha256').update(text).digest('hex');
  const page: VantageExpectation = {
    url: 'https://www.example.com/',
    kind: 'serves',
    entry: {
      sha256: realSha(body),
      size: Buffer.byteLength(body),
      type: 'text/html; charset=utf-8',
    },
    local: { etag: '"new"', lastModified: 'Tue, 01 Dec 2026 00:00:00 GMT' },
  };
  const answer = (result: Partial<ProbeResultItem['result']>): ProbeResultItem => ({
    probe: { continent: 'AS', country: 'JP', city: 'Tokyo', network: 'x' },
    result: {
      status: 'finished',
      statusCode: 200,
      headers: {},
      rawBody: body,
      truncated: false,
      ...result,
    },
  });

  it.each<[string, Partial<ProbeResultItem['result']>, boolean, string, RegExp?]>([
    ['the whole text body, same bytes', { headers: { etag: '"new"' } }, true, 'body'],
    ['a weakened ETag of the same entity', { headers: { etag: 'W/"new"' } }, true, 'body'],
    [
      'an old ETag',
      { headers: { etag: '"old"' } },
      false,
      'validators',
      /ETag "old", where the runner's edge serves "new"/,
    ],
    [
      'other bytes',
      { rawBody: '<h1>release 1</h1>\n' },
      false,
      'body',
      /body differs from the release/,
    ],
    [
      'a cut body: validators and length',
      {
        rawBody: body.slice(0, 5),
        truncated: true,
        headers: { 'content-length': String(Buffer.byteLength(body)) },
      },
      true,
      'validators',
    ],
    [
      'a cut body of another length',
      { rawBody: 'x', truncated: true, headers: { 'content-length': '999' } },
      false,
      'validators',
      /Content-Length 999/,
    ],
    [
      'an old Last-Modified',
      {
        rawBody: 'x',
        truncated: true,
        headers: { 'last-modified': 'Mon, 30 Nov 2026 00:00:00 GMT' },
      },
      false,
      'validators',
      /Last-Modified/,
    ],
    ['a 404', { statusCode: 404 }, false, 'status', /answers 404, not 200/],
    [
      'a failed probe',
      { status: 'failed', statusCode: undefined, rawOutput: 'connect ETIMEDOUT\nmore' },
      false,
      'status',
      /the probe got no answer: connect ETIMEDOUT$/,
    ],
  ])('%s', (_name, result, fresh, method, reason) => {
    const judged = judgeProbe(page, answer(result));
    expect(judged).toMatchObject({ fresh, method });
    if (reason) expect(judged.reason).toMatch(reason);
  });

  it('a binary file is never hashed from rawBody (it does not survive a JSON string)', () => {
    const png: VantageExpectation = {
      ...page,
      entry: { sha256: 'f'.repeat(64), size: 3, type: 'image/png' },
      local: {},
    };
    expect(
      judgeProbe(
        png,
        answer({ rawBody: '\ufffd\ufffd\ufffd', headers: { 'content-length': '3' } }),
      ),
    ).toMatchObject({ fresh: true, method: 'validators' });
  });

  it('a removed file must be gone', () => {
    const removed: VantageExpectation = {
      url: 'https://www.example.com/old.html',
      kind: 'removed',
    };
    expect(judgeProbe(removed, answer({ statusCode: 410 })).fresh).toBe(true);
    expect(judgeProbe(removed, answer({ statusCode: 200 }))).toMatchObject({
      fresh: false,
      reason: 'answers 200 for a removed file (expected 404 or 410)',
    });
  });
});
