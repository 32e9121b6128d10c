import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffManifests } from '../../src/manifest/diff-manifests.ts';
import { diffPackedManifests } from '../../src/manifest/diff-packed-manifests.ts';
import {
  emptyFiles,
  type FileEntry,
  type Manifest,
  type ManifestVersion,
  parseManifest,
  type RecordedValidators,
  serializeManifest,
} from '../../src/manifest/manifest.ts';
import { PackedFilesBuilder } from '../../src/manifest/packed-files-builder.ts';
import {
  emptyPackedManifest,
  findPackedPath,
  packedEntryOf,
  packManifest,
  unpackManifest,
} from '../../src/manifest/packed-manifest.ts';
import { parsePackedManifest } from '../../src/manifest/read-manifest-stream.ts';
import { scanDir, scanDirPacked } from '../../src/manifest/scan-dir.ts';
import { manifestBytes, manifestChunks } from '../../src/manifest/write-manifest-stream.ts';
import { ORIGIN_STYLES } from '../../src/origin/origin-style.ts';
import { referenceJson } from '../support/reference-json.ts';

const SECOND = 1000;
const BASE_MTIME = 1_700_000_000_000;

// Segments that stress the format: quotes, escapes JSON must write, non-ASCII, astral
// characters (code-unit order differs from code-point order), names of Object members.
const segment = fc.constantFrom(
  'a',
  'B',
  'index.html',
  'é.txt',
  'x"y',
  '__proto__',
  'constructor',
  '😀.png',
  '\uffff',
  'line\u2028sep',
  'tab\there',
  '..a',
  'z',
);
const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'));
const sha = fc.constantFrom('a', 'b', '0', 'f').map((c) => c.repeat(64));
const mtime = fc.oneof(
  fc.integer({ min: 0, max: 50 }).map((s) => BASE_MTIME + s * SECOND),
  fc.double({ min: BASE_MTIME, max: BASE_MTIME + 50 * SECOND, noNaN: true }),
  fc.constant(0),
);
const entry: fc.Arbitrary<FileEntry> = fc.record({
  size: fc.oneof(fc.nat(20), fc.constant(Number.MAX_SAFE_INTEGER)),
  mtimeMs: mtime,
  sha256: sha,
  type: fc.constantFrom('text/html; charset=utf-8', 'image/png', 'x"y', ''),
});
const entries = fc.uniqueArray(fc.tuple(path, entry), {
  selector: ([p]) => p,
  maxLength: 25,
});

// What may happen to a file between two releases, with the deltas nginx/Apache/Express differ on.
const change = fc.oneof(
  fc.constant<Partial<FileEntry> | 'removed'>({}),
  fc.constant<Partial<FileEntry> | 'removed'>('removed'),
  sha.map((sha256) => ({ sha256 })),
  fc.integer({ min: -1500, max: 1500 }).map((ms) => ({ mtimeDelta: ms }) as Partial<FileEntry>),
  fc.record({ sha256: sha, mtimeDelta: fc.integer({ min: -999, max: 999 }) }),
  fc.record({ size: fc.nat(20), sha256: sha }),
  fc.double({ min: -2, max: 2, noNaN: true }).map((ms) => ({ mtimeDelta: ms })),
);

function manifestOf(
  list: readonly (readonly [string, FileEntry])[],
  extra: Partial<Manifest> = {},
): Manifest {
  const files = emptyFiles();
  for (const [p, e] of list) files[p] = e;
  return { version: 2, generator: 'test', createdAt: 'now', ...extra, files };
}

const releases = fc
  .tuple(entries, fc.array(change, { maxLength: 25 }), entries)
  .map(([before, changes, added]) => {
    const next: [string, FileEntry][] = [];
    before.forEach(([p, e], index) => {
      const what = changes[index] ?? {};
      if (what === 'removed') return;
      const { mtimeDelta, ...rest } = what as Partial<FileEntry> & { mtimeDelta?: number };
      next.push([p, { ...e, ...rest, mtimeMs: e.mtimeMs + (mtimeDelta ?? 0) }]);
    });
    const taken = new Set(next.map(([p]) => p));
    for (const [p, e] of added) if (!taken.has(p)) next.push([p, e]);
    return { previous: manifestOf(before), next: manifestOf(next) };
  });

const validators: fc.Arbitrary<Record<string, RecordedValidators>> = fc
  .uniqueArray(
    fc.tuple(
      fc.constantFrom(
        'https://x.test/',
        'https://x.test/a',
        'https://x.test/é',
        'https://x.test/"',
      ),
      fc.record(
        { etag: fc.constantFrom('"1-2"', 'W/"x"'), lastModified: fc.constant('Mon, 01 Jan 2024') },
        { requiredKeys: [] },
      ),
    ),
    { selector: ([url]) => url },
  )
  .map((list) => Object.fromEntries(list));

const manifests = fc
  .tuple(
    entries,
    fc.option(validators, { nil: undefined }),
    fc.option(fc.constantFrom('https://www.example.com', 'http://127.0.0.1:8080'), {
      nil: undefined,
    }),
    fc.constantFrom('', '2024-01-01T00:00:00.000Z', 'a"b'),
  )
  .map(([list, seen, baseUrl, createdAt]) =>
    manifestOf(list, {
      createdAt,
      ...(seen === undefined ? {} : { validators: seen }),
      ...(baseUrl === undefined ? {} : { baseUrl }),
    }),
  );

const text = (manifest: Parameters<typeof manifestChunks>[0]) =>
  [...manifestChunks(manifest)].join('');

describe('packed manifest', () => {
  it('diffs exactly as diffManifests on the plain form, for every origin style', () => {
    fc.assert(
      fc.property(releases, fc.constantFrom(...ORIGIN_STYLES), ({ previous, next }, style) => {
        const plain = diffManifests(previous, next, { style });
        const packed = diffPackedManifests(packManifest(previous), packManifest(next), { style });
        expect(packed).toEqual(plain);
      }),
      { numRuns: 400 },
    );
  });

  it('writes the very bytes serializeManifest writes, and reads back what parseManifest reads', () => {
    fc.assert(
      fc.property(manifests, (manifest) => {
        const serialized = serializeManifest(manifest);
        expect(serialized).toBe(referenceJson(manifest));
        const packed = packManifest(manifest);
        expect(text(packed)).toBe(serialized);
        const read = parsePackedManifest(serialized, 'm.json');
        expect(unpackManifest(read)).toEqual(parseManifest(serialized, 'm.json'));
        expect(text(read)).toBe(serialized);
        expect(unpackManifest(packManifest(unpackManifest(read)))).toEqual(unpackManifest(read));
      }),
      { numRuns: 300 },
    );
  });

  it('columns sized from a guess grow past it, and a high guess changes nothing', () => {
    for (const expected of [
      { entries: 10, pathBytes: 8 },
      { entries: 100_000, pathBytes: 1e6 },
    ]) {
      const builder = new PackedFilesBuilder(expected);
      for (let i = 0; i < 3000; i++) {
        const index = builder.add(`d/f${String(i).padStart(5, '0')}.txt`, i, i + 0.5, 'text/plain');
        builder.setSha(index, new Uint8Array(32).fill(i % 256));
      }
      const { files } = builder.finish();
      expect(files.count).toBe(3000);
      expect(files.paths.at(2999)).toBe('d/f02999.txt');
      expect([files.sizes[2999], files.mtimes[2999], files.sha256[2999 * 32]]).toEqual([
        2999,
        2999.5,
        2999 % 256,
      ]);
    }
  });

  it('writes root names that look like array indexes in comparePaths order, as any other', () => {
    const files = emptyFiles();
    for (const name of ['9', '10', 'a', '0']) {
      files[name] = { size: 1, mtimeMs: 1, sha256: 'a'.repeat(64), type: 'text/plain' };
    }
    const manifest: Manifest = { version: 2, generator: 'g', createdAt: 'c', files };
    const written = serializeManifest(manifest);
    const order = ['"0"', '"10"', '"9"', '"a"'].map((key) => written.indexOf(`    ${key}: {`));
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(order.every((at) => at > 0)).toBe(true);
    expect(parseManifest(written, 'm.json')).toEqual(manifest);
    expect(text(parsePackedManifest(written, 'm.json'))).toBe(written);
  });

  it('writes escaped, non-ASCII and over-long paths in pieces that each end between entries', () => {
    const files = emptyFiles();
    const paths = ['a"b\\c\u0001.txt', 'é/😀\uFFFD.html', `long/${'x'.repeat(300_000)}.txt`];
    for (const [i, path] of paths.entries()) {
      files[path] = { size: i, mtimeMs: 1.5 + i, sha256: String(i).repeat(64), type: 'text/plain' };
    }
    const manifest: Manifest = {
      version: 2,
      generator: 'edgepurge',
      createdAt: '2026-01-01T00:00:00.000Z',
      files,
    };
    const packed = packManifest(manifest);
    const pieces = [...manifestBytes(packed)];
    expect(Buffer.concat(pieces).toString('utf8')).toBe(serializeManifest(manifest));
    // Every piece decodes on its own: no character is cut in two.
    expect(pieces.map((piece) => piece.toString('utf8')).join('')).toBe(
      serializeManifest(manifest),
    );
  });

  it('a packed scan holds what a plain scan holds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgepurge-packed-scan-'));
    await mkdir(join(dir, 'docs', 'é'), { recursive: true });
    const names = ['__proto__', 'constructor', 'index.html', 'docs/é/a.css', 'docs/b.js', 'Z.png'];
    for (const [i, name] of names.entries()) await writeFile(join(dir, name), `file ${i}`);
    const now = () => new Date('2024-01-01T00:00:00Z');
    const plain = await scanDir(dir, { now, workers: 1, baseUrl: 'https://x.test' });
    const packed = await scanDirPacked(dir, { now, workers: 1, baseUrl: 'https://x.test' });
    expect(packed.files.count).toBe(names.length);
    expect(unpackManifest(packed)).toEqual(unpackManifest(packManifest(plain)));
    expect(text(packed)).toBe(serializeManifest(plain));
  });

  it('finds entries by path, and not inherited members or missing paths', () => {
    const manifest = manifestOf([
      ['b.txt', { size: 1, mtimeMs: 5, sha256: 'b'.repeat(64), type: 'text/plain' }],
      ['a/x.txt', { size: 2, mtimeMs: 6, sha256: 'c'.repeat(64), type: 'text/plain' }],
    ]);
    const packed = packManifest(manifest);
    expect([...packed.files.paths]).toEqual(['a/x.txt', 'b.txt']);
    expect(packedEntryOf(packed, 'b.txt')).toEqual(manifest.files['b.txt']);
    expect(findPackedPath(packed.files, 'a/x.txt')).toBe(0);
    expect(packedEntryOf(packed, 'constructor')).toBeUndefined();
    expect(packedEntryOf(packed, 'c.txt')).toBeUndefined();
    expect(packed.files.sha256.byteLength).toBe(64);
  });

  it('a first deploy diffs against the empty packed manifest: everything added', () => {
    const next = packManifest(
      manifestOf([['a', { size: 1, mtimeMs: 1, sha256: 'a'.repeat(64), type: 'x' }]]),
    );
    expect(diffPackedManifests(emptyPackedManifest(), next)).toEqual({
      added: ['a'],
      changed: [],
      removed: [],
      unchanged: 0,
      hazards: [],
    });
  });

  it('a version 1 file is read as version 2, its stray validators ignored', () => {
    const v1 = JSON.stringify({
      version: 1 satisfies ManifestVersion,
      files: { a: { size: 1, mtimeMs: 2, sha256: 'a'.repeat(64), type: 't' } },
      validators: { u: { etag: 5 } },
    });
    const read = parsePackedManifest(v1, 'v1.json');
    expect(read.version).toBe(2);
    expect(read.validators).toBeUndefined();
    expect(unpackManifest(read)).toEqual(parseManifest(v1, 'v1.json'));
  });
});
