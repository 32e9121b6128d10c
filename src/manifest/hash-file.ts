import { createHash, hash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

// O_NONBLOCK: if a regular file was swapped for a FIFO after the walk saw it, open() would
// otherwise block forever; on regular files the flag has no effect (open(2)).
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/**
 * Hashes the regular file at `path` through `buffer` (reused; no file is ever held whole) and
 * stores the answer in the caller's columns: size and mtime at `stats[2 * at]` and
 * `stats[2 * at + 1]`, the raw SHA-256 at bytes `[32 * at, 32 * at + 32)` of `digests`, all
 * read through one descriptor: the same bytes. A file larger than `maxSize` is not read and
 * nothing is stored. Used by the hash workers and, for small trees, by the main thread.
 *
 * @returns the file's size (over `maxSize`: the file was left unread).
 * @throws an Error with `code`: the errno (`ENOENT`, `EACCES`, …), `NOT_FILE` (no longer a
 *   regular file) or `CHANGED` (the size moved while it was read).
 */
export function hashFile(
  path: string,
  buffer: Buffer,
  maxSize: number,
  stats: Float64Array,
  digests: Uint8Array,
  at: number,
): number {
  // A small file costs ~10 µs here, nearly all of it the four system calls; so no closure,
  // result object or Buffer is made per file (bench: scan, issue 11).
  const fd = openSync(path, OPEN_FLAGS);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw Object.assign(new Error('no longer a regular file'), { code: 'NOT_FILE' });
    }
    const size = stat.size;
    if (size > maxSize) return size;
    const digest = hashFd(fd, size, buffer);
    for (let i = 0, to = 32 * at; i < 32; i++) digests[to + i] = digest.charCodeAt(i);
    stats[2 * at] = size;
    stats[2 * at + 1] = stat.mtimeMs;
    return size;
  } finally {
    closeSync(fd);
  }
}

/**
 * SHA-256 of exactly `size` bytes read from `fd`, as a `'binary'` (= latin1) string: one char
 * per byte. Throws `CHANGED` if the size moved.
 */
function hashFd(fd: number, size: number, buffer: Buffer): string {
  // Most files of a site fit the buffer: one read and a one-shot hash, no Hash object.
  // Asking for one byte more than fstat reported sees growth without a second read for EOF.
  // The digest comes as a string, not a Buffer: a Buffer per file costs ~0.9 µs, as much as
  // hashing 600 bytes (Node 24: `hash(…, 'buffer')` 1.8 µs, `'binary'` 0.9 µs per file).
  if (size < buffer.length) {
    let total = 0;
    while (total < size) {
      const n = readSync(fd, buffer, total, size + 1 - total, null);
      if (n === 0) throw changed(size, total);
      total += n;
    }
    if (total !== size) throw changed(size, total);
    return hash('sha256', buffer.subarray(0, size), 'binary');
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
  return hasher.digest('binary');
}

function changed(expected: number, got: number): Error {
  return Object.assign(
    new Error(`its size changed while it was read (${expected} bytes, then ${got})`),
    { code: 'CHANGED' },
  );
}
