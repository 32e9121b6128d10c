import { describe, expect, it } from 'vitest';
import {
  detectOriginStyle,
  explainEtag,
  type FetchLike,
  type FileStat,
  hazardOf,
  identifyStyle,
  ORIGIN_STYLES,
  type OriginStyle,
  opaqueTag,
  predictEtag,
  resolveOriginStyle,
  styleSamplePaths,
  touchMtime,
  validatorResolution,
} from '../../src/origin/index.ts';
import { etagChangedCheck } from '../../src/verify/checks/validator-checks.ts';

// The files of the e2e suite's first run, with what the real servers sent for them
// (nginx 1.22.1, Apache 2.4, lighttpd 1.4.69, Caddy 2.6.2; see test/e2e/origin-styles.test.ts).
const A: FileStat = {
  size: 12,
  mtimeMs: 1_700_000_000_123.4568,
  mtimeNs: 1_700_000_000_123_456_789n,
  inode: 2_183_313,
};
const B: FileStat = { size: 5000, mtimeMs: 1_700_000_001_000, inode: 2_183_314 };
const C: FileStat = {
  size: 0,
  mtimeMs: 1_796_085_025_371.709,
  mtimeNs: 1_796_085_025_371_708_876n,
  inode: 2_183_425,
};
const noNs = (file: FileStat): FileStat => ({ size: file.size, mtimeMs: file.mtimeMs });

describe('predictEtag', () => {
  const cases: { style: OriginStyle; file: FileStat; etag: string | undefined }[] = [
    { style: 'nginx', file: A, etag: '"6553f100-c"' },
    { style: 'nginx', file: noNs(A), etag: '"6553f100-c"' },
    { style: 'nginx', file: B, etag: '"6553f101-1388"' },
    { style: 'apache', file: A, etag: '"c-60a2418202240"' },
    // From mtimeMs alone (what a manifest holds) the microseconds still come out right.
    { style: 'apache', file: noNs(A), etag: '"c-60a2418202240"' },
    { style: 'apache', file: B, etag: '"1388-60a24182d8240"' },
    { style: 'apache-inode', file: A, etag: '"215091-c-60a2418202240"' },
    { style: 'apache-inode', file: noNs(A), etag: undefined },
    {
      style: 'express',
      file: { size: 12, mtimeMs: 1_700_000_000_123.789 },
      etag: 'W/"c-18bcfe5687c"',
    },
    { style: 'express', file: B, etag: 'W/"1388-18bcfe56be8"' },
    { style: 'caddy', file: A, etag: '"cwyvpeni7w9h-c"' },
    { style: 'caddy-2.8', file: A, etag: '"cwyvpeni7w9hc"' },
    { style: 'caddy-2.0', file: A, etag: '"s44we8c"' },
    { style: 'caddy-2.0', file: B, etag: '"s44we93uw"' },
    // Caddy sends no ETag for an mtime of 0 or 1 s (caddy issue #5548).
    { style: 'caddy-2.0', file: { size: 3, mtimeMs: 1000 }, etag: undefined },
    { style: 'lighttpd', file: A, etag: '"978467935"' },
    { style: 'lighttpd', file: B, etag: '"3490116804"' },
    { style: 'lighttpd', file: C, etag: '"593693486"' },
    { style: 'lighttpd', file: noNs(A), etag: undefined },
    { style: 'content', file: A, etag: undefined },
    { style: 'none', file: A, etag: undefined },
  ];
  it.each(cases)('$style for $file.size bytes at $file.mtimeMs: $etag', ({ style, file, etag }) => {
    expect(predictEtag(style, file)).toBe(etag);
  });

  it('names each style resolution', () => {
    expect(validatorResolution('nginx')).toBe(1000);
    expect(validatorResolution('apache')).toBe(0.001);
    expect(validatorResolution('express')).toBe(1);
    expect(validatorResolution('caddy')).toBe(1e-6);
    expect(validatorResolution('caddy-2.0')).toBe(1000);
    expect(validatorResolution('content')).toBeUndefined();
  });
});

describe('opaqueTag', () => {
  it.each([
    ['"abc"', { tag: 'abc', weak: false }],
    ['W/"abc"', { tag: 'abc', weak: true }],
    ['"c-60a2418202240-gzip"', { tag: 'c-60a2418202240', weak: false, suffix: '-gzip' }],
    ['W/"abc;gzip"', { tag: 'abc', weak: true, suffix: ';gzip' }],
  ])('%s', (etag, expected) => {
    expect(opaqueTag(etag)).toEqual(expected);
  });
  it('no ETag, or an empty one, is none', () => {
    expect(opaqueTag(undefined)).toBeUndefined();
    expect(opaqueTag('""')).toBeUndefined();
  });
});

describe('identifyStyle', () => {
  const cases: {
    name: string;
    etag: string | undefined;
    file: FileStat;
    style: OriginStyle;
    match: 'exact' | 'shape' | 'none';
  }[] = [
    { name: 'nginx', etag: '"6553f100-c"', file: noNs(A), style: 'nginx', match: 'exact' },
    {
      name: 'nginx, gzipped (W/)',
      etag: 'W/"6553f100-c"',
      file: noNs(A),
      style: 'nginx',
      match: 'exact',
    },
    { name: 'Apache', etag: '"c-60a2418202240"', file: noNs(A), style: 'apache', match: 'exact' },
    {
      name: 'Apache, mod_deflate',
      etag: '"c-60a2418202240-gzip"',
      file: noNs(A),
      style: 'apache',
      match: 'exact',
    },
    {
      name: 'Apache, within a second (W/)',
      etag: 'W/"1388-60a24182d8240"',
      file: B,
      style: 'apache',
      match: 'exact',
    },
    // A remote origin's inode is its own: size and µs mtime are enough.
    {
      name: 'Apache with inodes',
      etag: '"99-c-60a2418202240"',
      file: A,
      style: 'apache-inode',
      match: 'exact',
    },
    {
      name: 'Express',
      etag: 'W/"c-18bcfe5687c"',
      file: { size: 12, mtimeMs: 1_700_000_000_123.789 },
      style: 'express',
      match: 'exact',
    },
    {
      name: 'Express on a Node that truncated the ms',
      etag: 'W/"c-18bcfe5687b"',
      file: { size: 12, mtimeMs: 1_700_000_000_123.789 },
      style: 'express',
      match: 'exact',
    },
    {
      name: 'Caddy 2.11+',
      etag: '"cwyvpeni7w9h-c"',
      file: noNs(A),
      style: 'caddy',
      match: 'exact',
    },
    {
      name: 'Caddy 2.8',
      etag: '"cwyvpeni7w9hc"',
      file: noNs(A),
      style: 'caddy-2.8',
      match: 'exact',
    },
    {
      name: 'Caddy 2.6 (Debian)',
      etag: '"s44we93uw"',
      file: B,
      style: 'caddy-2.0',
      match: 'exact',
    },
    {
      name: 'lighttpd, with the inode',
      etag: '"978467935"',
      file: A,
      style: 'lighttpd',
      match: 'exact',
    },
    {
      name: 'lighttpd, remote (no inode)',
      etag: '"978467935"',
      file: noNs(A),
      style: 'lighttpd',
      match: 'shape',
    },
    {
      name: 'nginx whose copy has another mtime',
      etag: '"6553f200-c"',
      file: noNs(A),
      style: 'nginx',
      match: 'shape',
    },
    {
      name: 'S3 single-part (MD5)',
      etag: '"9b2cf535f27731c974343645a3985328"',
      file: A,
      style: 'content',
      match: 'none',
    },
    { name: 'no ETag', etag: undefined, file: A, style: 'none', match: 'exact' },
  ];
  it.each(cases)('$name: $style ($match)', ({ etag, file, style, match }) => {
    const found = identifyStyle(etag, file);
    expect(found.style).toBe(style);
    expect(found.match).toBe(match);
    expect(found.evidence.length).toBeGreaterThan(0);
  });

  it('an unknown ETag is content, with a warning that names what was seen', () => {
    const found = identifyStyle('"9b2cf535f27731c974343645a3985328"', A);
    expect(found.warning).toContain('"9b2cf535f27731c974343645a3985328"');
    expect(found.warning).toContain('content-derived');
  });

  it('an origin copy with another mtime warns that the upload drops mtimes', () => {
    expect(identifyStyle('"6553f200-c"', noNs(A)).warning).toMatch(/rsync without --times/);
  });

  it('recognises every mtime style from its own prediction', () => {
    for (const style of ORIGIN_STYLES) {
      const etag = predictEtag(style, A);
      if (etag === undefined) continue;
      expect([style, identifyStyle(etag, A).style]).toEqual([style, style]);
    }
  });

  it('tries only the candidates it is given', () => {
    expect(identifyStyle('"6553f100-c"', A, { candidates: ['apache'] }).style).toBe('content');
  });
});

describe('hazardOf', () => {
  const sec = 1_700_000_000_000;
  const v = (mtimeMs: number, sha: string, size = 10) => ({ size, mtimeMs, sha256: sha });
  const cases: {
    name: string;
    style: OriginStyle;
    previous: ReturnType<typeof v>;
    next: ReturnType<typeof v>;
    hazard: ReturnType<typeof hazardOf>;
  }[] = [
    {
      name: 'two deploys in the same second (nginx)',
      style: 'nginx',
      previous: v(sec + 100, 'a'),
      next: v(sec + 900, 'b'),
      hazard: 'validator-unchanged',
    },
    {
      name: 'cp -p: size and mtime kept (nginx)',
      style: 'nginx',
      previous: v(sec, 'a'),
      next: v(sec, 'b'),
      hazard: 'validator-unchanged',
    },
    {
      name: 'next second (nginx)',
      style: 'nginx',
      previous: v(sec + 900, 'a'),
      next: v(sec + 1000, 'b'),
      hazard: undefined,
    },
    {
      name: 'other size, same second (nginx)',
      style: 'nginx',
      previous: v(sec, 'a'),
      next: v(sec, 'b', 11),
      hazard: undefined,
    },
    {
      name: 'same second, other ms (Apache µs)',
      style: 'apache',
      previous: v(sec + 100, 'a'),
      next: v(sec + 900, 'b'),
      hazard: undefined,
    },
    {
      name: 'same µs (Apache)',
      style: 'apache',
      previous: v(sec + 100.5, 'a'),
      next: v(sec + 100.5, 'b'),
      hazard: 'validator-unchanged',
    },
    {
      name: 'same rounded ms (Express)',
      style: 'express',
      previous: v(sec + 100.2, 'a'),
      next: v(sec + 100.4, 'b'),
      hazard: 'validator-unchanged',
    },
    {
      name: 'other µs (Caddy ns)',
      style: 'caddy',
      previous: v(sec + 100.001, 'a'),
      next: v(sec + 100.002, 'b'),
      hazard: undefined,
    },
    {
      name: 'same second (Caddy 2.0–2.7)',
      style: 'caddy-2.0',
      previous: v(sec + 1, 'a'),
      next: v(sec + 999, 'b'),
      hazard: 'validator-unchanged',
    },
    {
      name: 'kept size and mtime (content ETags)',
      style: 'content',
      previous: v(sec, 'a'),
      next: v(sec, 'b'),
      hazard: undefined,
    },
    {
      name: 'new mtime, same bytes (content ETags)',
      style: 'content',
      previous: v(sec, 'a'),
      next: v(sec + 5000, 'a'),
      hazard: undefined,
    },
    {
      name: 'Last-Modified only, other size, same second',
      style: 'none',
      previous: v(sec, 'a'),
      next: v(sec + 10, 'b', 99),
      hazard: 'validator-unchanged',
    },
    {
      name: 'new second, same bytes (nginx)',
      style: 'nginx',
      previous: v(sec, 'a'),
      next: v(sec + 5000, 'a'),
      hazard: 'needless-change',
    },
    {
      name: 'same second, same bytes (nginx)',
      style: 'nginx',
      previous: v(sec, 'a'),
      next: v(sec + 500, 'a'),
      hazard: undefined,
    },
    {
      name: 'new ms, same bytes (Apache)',
      style: 'apache',
      previous: v(sec, 'a'),
      next: v(sec + 500, 'a'),
      hazard: 'needless-change',
    },
  ];
  it.each(cases)('$name: $hazard', ({ style, previous, next, hazard }) => {
    expect(hazardOf(style, previous, next)).toBe(hazard);
  });
});

describe('touchMtime', () => {
  const sec = 1_700_000_000_000;
  const cases: {
    style: OriginStyle;
    previous: number;
    now: number;
    touched: number | undefined;
  }[] = [
    // The second deploy of the same second: the touch moves on to the next one.
    { style: 'nginx', previous: sec + 100, now: sec + 900, touched: sec + 1000 },
    { style: 'nginx', previous: sec + 100, now: sec + 5500, touched: sec + 5000 },
    // Apache's ETag would change at 1 µs, but Last-Modified (whole seconds) must move too.
    { style: 'apache', previous: sec + 100, now: sec + 900, touched: sec + 1000 },
    { style: 'express', previous: sec, now: sec, touched: sec + 1000 },
    // Express rounds 0.9995 s up into the next second: one more second.
    { style: 'express', previous: sec + 999.5, now: sec + 999.6, touched: sec + 2000 },
    { style: 'caddy', previous: sec + 999.999, now: sec, touched: sec + 1000 },
    // A clock behind the file's mtime still moves it forward.
    { style: 'nginx', previous: sec + 10_000, now: sec, touched: sec + 11_000 },
    { style: 'content', previous: sec, now: sec + 5000, touched: undefined },
  ];
  it.each(cases)('$style: $previous at $now → $touched', ({ style, previous, now, touched }) => {
    expect(touchMtime(style, previous, now)).toBe(touched);
  });

  it('changes every predicted ETag and Last-Modified second, whatever the style', () => {
    for (const style of ORIGIN_STYLES) {
      for (const previous of [1_700_000_000_000, 1_700_000_000_999.5, 1_700_000_000_500.25]) {
        const touched = touchMtime(style, previous, previous + 10);
        if (touched === undefined) {
          expect(style).toBe('content');
          continue;
        }
        expect(Math.floor(touched / 1000)).toBeGreaterThan(Math.floor(previous / 1000));
        const file = { size: 10, inode: 7 };
        const before = predictEtag(style, { ...file, mtimeMs: previous });
        if (before !== undefined)
          expect(predictEtag(style, { ...file, mtimeMs: touched })).not.toBe(before);
      }
    }
  });
});

describe('explainEtag', () => {
  const touched = { size: 12, mtimeMs: 1_700_000_005_000 };
  const expected = predictEtag('nginx', touched) as string;

  it('says nothing when the ETag is the predicted one', () => {
    expect(explainEtag('nginx', expected, expected, { file: touched, via: 'origin' })).toBe(
      undefined,
    );
  });
  it('the pre-touch ETag: the upload did not keep mtimes', () => {
    const preTouch = predictEtag('nginx', { size: 12, mtimeMs: 1_700_000_000_000 });
    expect(
      explainEtag('nginx', expected, preTouch, {
        file: touched,
        preTouchMtimeMs: 1_700_000_000_000,
        via: 'origin',
      }),
    ).toMatch(
      /^origin still serves the pre-touch ETag: the upload did not keep mtimes \(rsync without --times \/ -a\?\)/,
    );
  });
  it('a weak ETag at the origin: gzip', () => {
    expect(
      explainEtag('nginx', expected, `W/${expected}`, { file: touched, via: 'origin' }),
    ).toMatch(/^origin ETag is weak: gzip at the origin/);
  });
  it('a -gzip suffix: mod_deflate', () => {
    const apache = predictEtag('apache', touched) as string;
    expect(
      explainEtag('apache', apache, `${apache.slice(0, -1)}-gzip"`, { file: touched, via: 'edge' }),
    ).toContain('"-gzip"');
  });
  it("the previous release's ETag at the edge: the purge did not reach it", () => {
    const previous = { size: 10, mtimeMs: 1_690_000_000_000 };
    expect(
      explainEtag('nginx', expected, predictEtag('nginx', previous), {
        file: touched,
        previous,
        via: 'edge',
      }),
    ).toContain("the edge still serves the previous release's ETag");
  });
  it('another mtime at the origin: the upload dropped mtimes', () => {
    const other = predictEtag('nginx', { size: 12, mtimeMs: 1_600_000_000_000 });
    expect(explainEtag('nginx', expected, other, { file: touched, via: 'origin' })).toMatch(
      /the upload did not keep mtimes/,
    );
  });
  it("another server's ETag: names the style to configure", () => {
    const apache = predictEtag('apache', touched);
    expect(explainEtag('nginx', expected, apache, { file: touched, via: 'origin' })).toContain(
      'set origin.validators to "apache"',
    );
  });
  it('a hash: content ETags', () => {
    expect(
      explainEtag('nginx', expected, '"9b2cf535f27731c974343645a3985328"', {
        file: touched,
        via: 'origin',
      }),
    ).toContain('set origin.validators to "content"');
  });
  it('no ETag', () => {
    expect(explainEtag('nginx', expected, undefined, { file: touched, via: 'origin' })).toContain(
      'sends no ETag',
    );
  });
});

describe('etagChangedCheck with the origin model', () => {
  it("adds the model's explanation to the failure", () => {
    const check = etagChangedCheck('https://x/a', '"1-2"', '"1-2"', 'origin still serves X');
    expect(check.ok).toBe(false);
    expect(check.message).toContain('why: origin still serves X');
  });
  it('passes as before when the ETag changed', () => {
    expect(etagChangedCheck('https://x/a', '"1-2"', '"1-3"', 'unused').ok).toBe(true);
  });
});

describe('detectOriginStyle', () => {
  // An injected client, as the CLI injects fetch: each URL answers with its own status and ETag.
  const client =
    (answers: Record<string, { status: number; etag?: string } | Error>): FetchLike =>
    async (url) => {
      const answer = answers[url];
      if (answer === undefined || answer instanceof Error) throw answer ?? new Error('no route');
      return { status: answer.status, headers: { get: () => answer.etag ?? null } };
    };
  const sample = (url: string, file: FileStat = noNs(A)) => ({ url, file });

  it('votes: exact matches outweigh a match by form, and disagreement is reported', async () => {
    const detection = await detectOriginStyle(
      client({
        '/a': { status: 200, etag: '"6553f100-c"' },
        '/b': { status: 200, etag: '"6553f101-1388"' },
        '/c': { status: 200, etag: '"978467935"' },
      }),
      [sample('/a'), sample('/b', B), sample('/c')],
    );
    expect(detection.style).toBe('nginx');
    expect(detection.samples.map((s) => s.style)).toEqual(['nginx', 'nginx', 'lighttpd']);
    expect(detection.warnings.join('\n')).toContain('the samples disagree (nginx, lighttpd)');
  });

  it('skips what does not answer 200, saying so', async () => {
    const detection = await detectOriginStyle(
      client({ '/gone': { status: 404 }, '/down': new Error('ECONNREFUSED') }),
      [sample('/gone'), sample('/down')],
    );
    expect(detection.style).toBeUndefined();
    expect(detection.warnings).toEqual([
      'origin style: /gone answered 404, not 200: skipped',
      'origin style: /down could not be asked: ECONNREFUSED',
    ]);
  });
});

describe('resolveOriginStyle and styleSamplePaths', () => {
  it('a configured style wins; auto takes the detected one, else nginx', () => {
    expect(resolveOriginStyle('apache', 'caddy')).toBe('apache');
    expect(resolveOriginStyle('auto', 'caddy')).toBe('caddy');
    expect(resolveOriginStyle('auto', undefined)).toBe('nginx');
  });

  it('samples only files the origin already serves with the manifest mtime', () => {
    const v = (sha256: string, mtimeMs = 1) => ({ size: 1, mtimeMs, sha256 });
    const previous = { 'a.css': v('a'), 'b.js': v('b'), 'c.html': v('c'), 'd.txt': v('d') };
    const next = {
      'a.css': v('a'),
      'b.js': v('x'),
      'c.html': v('c', 2),
      'd.txt': v('d'),
      'e.png': v('e'),
    };
    expect(styleSamplePaths(previous, next)).toEqual(['a.css', 'd.txt']);
    expect(styleSamplePaths(previous, next, 1)).toEqual(['a.css']);
    expect(styleSamplePaths({}, next)).toEqual([]);
  });
});
