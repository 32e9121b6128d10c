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
