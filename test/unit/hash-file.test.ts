import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashFile } from '../../src/manifest/hash-file.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgepurge-hash-file-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Room for three files' answers, NaN and 0xee where nothing was stored. */
function columns(): { stats: Float64Array; digests: Uint8Array } {
  return { stats: new Float64Array(6).fill(Number.NaN), digests: new Uint8Array(96).fill(0xee) };
}

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

function hex(digests: Uint8Array, at: number): string {
  return Buffer.from(digests.subarray(32 * at, 32 * at + 32)).toString('hex');
}

describe('hashFile', () => {
  // The buffer is smaller than some files on purpose: both the one-read path and the
  // streaming path must store the same digest.
  const buffer = Buffer.alloc(64);

  it.each([
    ['empty', 0],
    ['smaller than the buffer', 63],
    ['the buffer size', 64],
    ['larger than the buffer', 1000],
  ])('stores size, mtime and SHA-256 of a file %s at its index', (_name, bytes) => {
    const path = join(dir, 'f');
    const content = randomBytes(bytes);
    writeFileSync(path, content);
    const { stats, digests } = columns();
    expect(hashFile(path, buffer, Number.POSITIVE_INFINITY, stats, digests, 1)).toBe(bytes);
    expect(hex(digests, 1)).toBe(sha256(content));
    expect([stats[2], stats[3]]).toEqual([bytes, statSync(path).mtimeMs]);
    // Neighbours untouched: a batch's columns are filled one index at a time.
    expect(Number.isNaN(stats[0]) && Number.isNaN(stats[4])).toBe(true);
    expect(digests.subarray(0, 32).every((b) => b === 0xee)).toBe(true);
    expect(digests.subarray(64).every((b) => b === 0xee)).toBe(true);
  });

  it('leaves a file over maxSize unread and returns its size', () => {
    const path = join(dir, 'big');
    writeFileSync(path, Buffer.alloc(100, 1));
    const { stats, digests } = columns();
    expect(hashFile(path, buffer, 99, stats, digests, 0)).toBe(100);
    expect(Number.isNaN(stats[0])).toBe(true);
    expect(digests.every((b) => b === 0xee)).toBe(true);
    // At the bound it is read.
    expect(hashFile(path, buffer, 100, stats, digests, 0)).toBe(100);
    expect(hex(digests, 0)).toBe(sha256(Buffer.alloc(100, 1)));
  });

  it('NOT_FILE for a FIFO, without blocking on it (O_NONBLOCK)', () => {
    const path = join(dir, 'pipe');
    execFileSync('mkfifo', [path]);
    const { stats, digests } = columns();
    expect(() => hashFile(path, buffer, Number.POSITIVE_INFINITY, stats, digests, 0)).toThrow(
      expect.objectContaining({ code: 'NOT_FILE' }),
    );
  });

  it('the errno for a missing file', () => {
    const { stats, digests } = columns();
    expect(() =>
      hashFile(join(dir, 'gone'), buffer, Number.POSITIVE_INFINITY, stats, digests, 0),
    ).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  // A sysfs attribute reports 4096 bytes and holds fewer: to the reader, a file that shrank
  // after fstat, which no regular file here can be made to do on cue.
  // Skipped only where the kernel has no such attribute (no transparent huge pages): then no
  // file here can shrink on cue (scan-dir.test.ts still covers a file that changes under a scan).
  const SYSFS = '/sys/kernel/mm/transparent_hugepage/enabled';
  it.skipIf(!existsSync(SYSFS))('CHANGED when fewer bytes come than fstat reported', () => {
    const { stats, digests } = columns();
    for (const size of [8192, 16]) {
      expect(() =>
        hashFile(SYSFS, Buffer.alloc(size), Number.POSITIVE_INFINITY, stats, digests, 0),
      ).toThrow(expect.objectContaining({ code: 'CHANGED' }));
    }
  });
});
