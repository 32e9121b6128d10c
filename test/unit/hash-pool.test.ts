import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobError } from '../../src/errors.ts';
import { comparePaths, serializeManifest } from '../../src/manifest/manifest.ts';
import { scanDir } from '../../src/manifest/scan-dir.ts';

// The pool hashes a tree's first 256 files (or 8 MiB) on the main thread and starts workers
// only past that; these trees cross the line, so both halves run in one scan.
const FILES = 600;

let site: string;

beforeEach(() => {
  site = mkdtempSync(join(tmpdir(), 'edgepurge-pool-'));
});

afterEach(() => {
  rmSync(site, { recursive: true, force: true });
});

/** FILES small files, in three folders or (`flat`) all at the top. */
function manyFiles(flat = false): Map<string, string> {
  const contents = new Map<string, string>();
  for (let i = 0; i < FILES; i++) {
    const path = `${flat ? '' : `d${i % 3}/`}f${String(i).padStart(3, '0')}.txt`;
    contents.set(path, `file ${i}\n`.repeat(1 + (i % 5)));
  }
  for (const [path, content] of contents) {
    mkdirSync(join(site, path, '..'), { recursive: true });
    writeFileSync(join(site, path), content);
  }
  return contents;
}

describe('HashPool: main thread, then workers', () => {
  it('hashes a tree past the main-thread caps into one manifest in walk order', async () => {
    const contents = manyFiles();
    const now = () => new Date('2025-01-01T00:00:00.000Z');
    const one = await scanDir(site, { workers: 1, now });
    const two = await scanDir(site, { workers: 2, now });

    expect(Object.keys(one.files)).toHaveLength(FILES);
    expect(Object.keys(one.files)).toEqual([...contents.keys()].sort(comparePaths));
    expect(serializeManifest(two)).toBe(serializeManifest(one));
    for (const [path, content] of contents) {
      expect(one.files[path]?.sha256, path).toBe(
        createHash('sha256').update(content).digest('hex'),
      );
      expect(one.files[path]?.size, path).toBe(Buffer.byteLength(content));
    }
  });

  it('hashes on the main thread too while the worker is busy, a large file left to the worker', async () => {
    // One worker holds 3 requests (16 files, then up to 256 each): past the first ~800 files
    // the main thread hashes batches itself, up to 1 MiB each; a 1.5 MiB file among them
    // goes to the worker. Every file must still land at its own path.
    const contents = new Map<string, Buffer>();
    for (let i = 0; i < 2000; i++) {
      const big = i % 500 === 499;
      const content = big
        ? Buffer.alloc(1536 * 1024, i % 251)
        : Buffer.from(`file ${i}\n`.repeat(1 + (i % 7)));
      contents.set(`d${Math.floor(i / 400)}/f${String(i).padStart(4, '0')}.bin`, content);
    }
    for (const [path, content] of contents) {
      mkdirSync(join(site, path, '..'), { recursive: true });
      writeFileSync(join(site, path), content);
    }
    const { files } = await scanDir(site, { workers: 1 });
    expect(Object.keys(files)).toEqual([...contents.keys()].sort(comparePaths));
    for (const [path, content] of contents) {
      expect([files[path]?.sha256, files[path]?.size], path).toEqual([
        createHash('sha256').update(content).digest('hex'),
        content.length,
      ]);
    }
  });

  it('E_SCAN_RACE from a worker: a file past the caps deleted after the walk saw it', async () => {
    // scanDir lists the top folder before it returns and reads files only after; the last
    // file comes after the first 256 in walk order, so a worker, not the main thread, opens it.
    manyFiles(true);
    const gone = join(site, 'f599.txt');
    const scanning = scanDir(site);
    unlinkSync(gone);
    const error = await scanning.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(JobError);
    expect((error as JobError).code).toBe('E_SCAN_RACE');
    expect((error as JobError).at).toBe(gone);
  });
});
