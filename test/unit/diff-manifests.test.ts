import { describe, expect, it } from 'vitest';
import { diffManifests } from '../../src/manifest/diff-manifests.ts';
import { type FileEntry, type Manifest, parseManifest } from '../../src/manifest/manifest.ts';

const sha = (c: string) => c.repeat(64);
const file = (over: Partial<FileEntry> = {}): FileEntry => ({
  size: 10,
  mtimeMs: 1_700_000_000_000,
  sha256: sha('a'),
  type: 'text/plain',
  ...over,
});
const manifest = (files: Record<string, FileEntry>): Manifest => ({
  version: 1,
  generator: 'test',
  createdAt: '',
  files,
});

describe('diffManifests', () => {
  const cases: {
    name: string;
    before: Record<string, FileEntry>;
    after: Record<string, FileEntry>;
    expected: ReturnType<typeof diffManifests>;
  }[] = [
    {
      name: 'identical releases',
      before: { 'a.txt': file() },
      after: { 'a.txt': file() },
      expected: { added: [], changed: [], removed: [], unchanged: 1, hazards: [] },
    },
    {
      name: 'added and removed',
      before: { 'old.txt': file() },
      after: { 'new.txt': file() },
      expected: {
        added: ['new.txt'],
        changed: [],
        removed: ['old.txt'],
        unchanged: 0,
        hazards: [],
      },
    },
    {
      name: 'content, size and mtime changed: no hazard',
      before: { 'a.js': file() },
      after: { 'a.js': file({ sha256: sha('b'), size: 11, mtimeMs: 1_700_000_100_000 }) },
      expected: { added: [], changed: ['a.js'], removed: [], unchanged: 0, hazards: [] },
    },
    {
      name: 'content changed, size and mtime kept (cp -p): validator-unchanged',
      before: { 'a.js': file() },
      after: { 'a.js': file({ sha256: sha('b') }) },
      expected: {
        added: [],
        changed: ['a.js'],
        removed: [],
        unchanged: 0,
        hazards: [{ path: 'a.js', kind: 'validator-unchanged' }],
      },
    },
    {
      name: 'sub-second mtime difference still counts as the same validator',
      before: { 'a.js': file({ mtimeMs: 1_700_000_000_100 }) },
      after: { 'a.js': file({ sha256: sha('b'), mtimeMs: 1_700_000_000_900 }) },
      expected: {
        added: [],
        changed: ['a.js'],
        removed: [],
        unchanged: 0,
        hazards: [{ path: 'a.js', kind: 'validator-unchanged' }],
      },
    },
    {
      name: 'content changed, size changed, mtime kept: ETag changes, no hazard',
      before: { 'a.js': file() },
      after: { 'a.js': file({ sha256: sha('b'), size: 12 }) },
      expected: { added: [], changed: ['a.js'], removed: [], unchanged: 0, hazards: [] },
    },
    {
      name: 'mtime changed only: mtime-only, counted unchanged',
      before: { 'a.css': file() },
      after: { 'a.css': file({ mtimeMs: 1_700_000_005_000 }) },
      expected: {
        added: [],
        changed: [],
        removed: [],
        unchanged: 1,
        hazards: [{ path: 'a.css', kind: 'mtime-only' }],
      },
    },
    {
      name: 'lists are sorted by path',
      before: { 'b/z.txt': file(), 'a.txt': file() },
      after: { 'c.txt': file(), 'B.txt': file() },
      expected: {
        added: ['B.txt', 'c.txt'],
        changed: [],
        removed: ['a.txt', 'b/z.txt'],
        unchanged: 0,
        hazards: [],
      },
    },
  ];
  it.each(cases)('$name', ({ before, after, expected }) => {
    expect(diffManifests(manifest(before), manifest(after))).toEqual(expected);
  });

  it('a file named constructor or toString is added, not mistaken for an inherited member', () => {
    const previous = parseManifest('{"version":1,"files":{}}', 'prev');
    const next = manifest(
      JSON.parse(`{"constructor":${JSON.stringify(file())},"toString":${JSON.stringify(file())}}`),
    );
    expect(diffManifests(previous, next).added).toEqual(['constructor', 'toString']);
    expect(diffManifests(next, previous).removed).toEqual(['constructor', 'toString']);
  });
});

describe('diffManifests with the origin validator model', () => {
  const at = (mtimeMs: number, c = 'a', size = 10) =>
    manifest({ 'a.js': file({ mtimeMs, sha256: sha(c), size }) });
  const hazards = (style: Parameters<typeof diffManifests>[2], before: Manifest, after: Manifest) =>
    diffManifests(before, after, style).hazards;

  it('nginx (the default): a second deploy in the same second keeps the ETag', () => {
    const first = at(1_700_000_000_100);
    const second = at(1_700_000_000_900, 'b');
    expect(hazards(undefined, first, second)).toEqual([
      { path: 'a.js', kind: 'validator-unchanged' },
    ]);
    expect(hazards({ style: 'nginx' }, first, second)).toEqual([
      { path: 'a.js', kind: 'validator-unchanged' },
    ]);
  });

  it('content ETags: no hazard for kept size and mtime, no mtime-only noise', () => {
    expect(
      hazards({ style: 'content' }, at(1_700_000_000_000), at(1_700_000_000_000, 'b')),
    ).toEqual([]);
    expect(hazards({ style: 'content' }, at(1_700_000_000_000), at(1_700_000_009_000))).toEqual([]);
  });

  it('Apache (µs): the same second with other milliseconds is a new ETag', () => {
    expect(hazards({ style: 'apache' }, at(1_700_000_000_100), at(1_700_000_000_900, 'b'))).toEqual(
      [],
    );
    expect(hazards({ style: 'apache' }, at(1_700_000_000_100), at(1_700_000_000_900))).toEqual([
      { path: 'a.js', kind: 'mtime-only' },
    ]);
  });
});
