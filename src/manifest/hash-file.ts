import { createHash, hash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** One file's size, mtime and SHA-256, all read through one descriptor: the same bytes. */
export interface FileHash {
  readonly size: number;
  readonly mtimeMs: number;
  /** The 32 bytes of the digest (hex is made only when a manifest is written). */
  readonly sha256: Buffer;
}

// O_NONBLOCK: if a regular file was swapped for a FIFO after the walk saw it, open() would
// otherwise block forever; on regular files the flag has no effect (open(2)).
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/**
 * Hashes the regular file at `path` through `buffer` (reused; no file is ever held whole).
 * `admit(size)` is asked once the size is known; when it says no, nothing is read and the
 * result is undefined. Used by the hash workers and, for small trees, by the main thread.
 *
 * @throws an Error with `code`: the errno (`ENOENT`, `EACCES`, …), `NOT_FILE` (no longer a
 *   regular file) or `CHANGED` (the size moved while it was read).
 */
export function hashFile(
  path: string,
  buffer: Buffer,
  admit: (size: number) => boolean = () => true,
): FileHash | undefined {
  const fd = openSync(path, OPEN_FLAGS);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw Object.assign(new Error('no longer a regular file'), { code: 'NOT_FILE' });
    }
    if (!admit(stat.size)) return undefined;
    return { size: stat.size, mtimeMs: stat.mtimeMs, sha256: hashFd(fd, stat.size, buffer) };
  } finally {
    closeSync(fd);
  }
}

/** SHA-256 of exactly `size` bytes read from `fd`; throws `CHANGED` if the size moved. */
function hashFd(fd: number, size: number, buffer: Buffer): Buffer {
  // Most files of a site fit the buffer: one read and a one-shot hash, no Hash object.
  // Asking for one byte more than fstat reported sees growth without a second read for EOF.
  if (size < buffer.length) {
    let total = 0;
    while (total < size) {
      const n = readSync(fd, buffer, total, size + 1 - total, null);
      if (n === 0) throw changed(size, total);
      total += n;
    }
    if (total !== size) throw changed(size, total);
    return hash('sha256', buffer.subarray(0, size), 'buffer');
  }
  const hasher = createHash('sha256');
  let total = 0;
  for (;;) {
    const n = readSync(fd, buffer, 0, buffer.length, null);
    if (n === 0) break;
    total += n;
    if (total > size) throw changed(size, total);
    hasher.update(buffer.subarray(0, n));
  }
  if (total !== size) throw changed(size, total);
  return hasher.digest();
}

function changed(expected: number, got: number): Error {
  return Object.assign(
    new Error(`its size changed while it was read (${expected} bytes, then ${got})`),
    { code: 'CHANGED' },
  );
}
