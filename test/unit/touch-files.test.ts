import { mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { touchFiles, touchPackedFiles } from '../../src/fix/touch-files.ts';
import type { FileEntry, Manifest } from '../../src/manifest/manifest.ts';
import { packedEntryOf, packManifest } from '../../src/manifest/packed-manifest.ts';
import { predictEtag } from '../../src/origin/index.ts';

const SECOND = 1_700_000_000_000;
const entry = (mtimeMs: number): FileEntry => ({
  size: 5,
  mtimeMs,
  sha256: 'b'.repeat(64),
  type: 'text/plain',
});
const manifest = (mtimeMs: number): Manifest => ({
  version: 1,
  generator: 'test',
  createdAt: '',
  files: { 'a.txt': entry(mtimeMs) },
});

describe('touchFiles', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgepurge-touch-'));
    await writeFile(join(dir, 'a.txt'), 'hello');
    await utimes(join(dir, 'a.txt'), (SECOND + 900) / 1000, (SECOND + 900) / 1000);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('nginx: the second deploy of a second moves the mtime, and the ETag, to the next second', async () => {
    const release = manifest(SECOND + 900);
    const result = await touchFiles(dir, release, ['a.txt'], { now: () => SECOND + 950 });
    expect(result.touched).toEqual(['a.txt']);
    expect(result.manifest.files['a.txt']?.mtimeMs).toBe(SECOND + 1000);
    expect((await stat(join(dir, 'a.txt'))).mtimeMs).toBe(SECOND + 1000);
    const file = { size: 5 };
    expect(predictEtag('nginx', { ...file, mtimeMs: SECOND + 1000 })).not.toBe(
      predictEtag('nginx', { ...file, mtimeMs: SECOND + 900 }),
    );
  });

  it('moves past the baseline mtime too, when it is later than the file', async () => {
    const result = await touchFiles(dir, manifest(SECOND + 900), ['a.txt'], {
      now: () => SECOND + 950,
      previous: manifest(SECOND + 4500),
    });
    expect(result.manifest.files['a.txt']?.mtimeMs).toBe(SECOND + 5000);
  });

  it('the packed form: the same mtime, past the baseline, and the release it was given unchanged', async () => {
    const release = packManifest(manifest(SECOND + 900));
    const result = await touchPackedFiles(dir, release, ['a.txt'], {
      now: () => SECOND + 950,
      previous: packManifest(manifest(SECOND + 4500)),
    });
    expect(result.touched).toEqual(['a.txt']);
    expect(packedEntryOf(result.manifest, 'a.txt')?.mtimeMs).toBe(SECOND + 5000);
    expect((await stat(join(dir, 'a.txt'))).mtimeMs).toBe(SECOND + 5000);
    expect(packedEntryOf(release, 'a.txt')?.mtimeMs).toBe(SECOND + 900);
    await expect(touchPackedFiles(dir, release, ['b.txt'])).rejects.toThrow(/not a file/);
  });

  it('content ETags: a touch changes nothing, so nothing is touched', async () => {
    const result = await touchFiles(dir, manifest(SECOND + 900), ['a.txt'], {
      now: () => SECOND + 5000,
      style: 'content',
    });
    expect(result.touched).toEqual([]);
    expect((await stat(join(dir, 'a.txt'))).mtimeMs).toBe(SECOND + 900);
  });

  it('a dry run writes nothing but reports the new mtime', async () => {
    const result = await touchFiles(dir, manifest(SECOND + 900), ['a.txt'], {
      now: () => SECOND + 7200,
      style: 'apache',
      dryRun: true,
    });
    expect(result.manifest.files['a.txt']?.mtimeMs).toBe(SECOND + 7000);
    expect((await stat(join(dir, 'a.txt'))).mtimeMs).toBe(SECOND + 900);
  });
});
