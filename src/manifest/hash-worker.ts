/**
 * Worker thread of `scanDir`: hashes batches of files under a root and answers with each file's
 * size, mtime and SHA-256, all taken from the one descriptor it read, so they describe the same
 * bytes. Reads go through one reused buffer; no file is ever held whole.
 */
import { createHash, hash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

/** Sent once, as `workerData`. */
export interface HashWorkerData {
  /** Real path of the scanned directory; request paths are relative to it. */
  readonly root: string;
  readonly bufferBytes: number;
  /**
   * Bytes one request may cost. A worker stops before a file that would exceed it and hands the
   * rest back; a file this large alone is hashed only as a request of its own.
   */
  readonly budgetBytes: number;
  /** One cell per request slot: 0 posted, 1 claimed by a worker, 2 taken back by main. */
  readonly claims: Int32Array;
}

/** Main → worker: hash these files (POSIX paths relative to the root). */
export interface HashRequest {
  readonly slot: number;
  readonly paths: readonly string[];
}

/**
 * Worker → main. `hashes` covers the first `hashes.length` paths of the request; fewer than
 * asked means the byte budget ran out and the rest is handed back.
 */
export type HashResponse =
  | {
      readonly slot: number;
      /** `[size0, mtimeMs0, size1, mtimeMs1, …]`, transferred, not copied. */
      readonly stats: Float64Array;
      readonly hashes: readonly string[];
      /** When the rest is handed back: the size of its first file, which did not fit. */
      readonly nextSize?: number;
    }
  | { readonly slot: number; readonly failure: HashFailure }
  /** The main thread took the request back before this worker started it. */
  | { readonly slot: number; readonly skipped: true };

export interface HashFailure {
  readonly path: string;
  /** `ENOENT`, `EACCES`, … or `CHANGED` (size moved while reading) or `NOT_FILE`. */
  readonly code: string;
  readonly message: string;
}

// O_NONBLOCK: if a regular file was swapped for a FIFO after the walk saw it, open() would
// otherwise block forever; on regular files the flag has no effect (open(2)).
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

const port = parentPort;
if (port !== null) {
  const { root, bufferBytes, budgetBytes, claims } = workerData as HashWorkerData;
  const prefix = root.endsWith('/') ? root : `${root}/`;
  const buffer = Buffer.allocUnsafe(bufferBytes);

  port.on('message', ({ slot, paths }: HashRequest) => {
    if (Atomics.compareExchange(claims, slot, 0, 1) !== 0) {
      port.postMessage({ slot, skipped: true } satisfies HashResponse);
      return;
    }
    const stats = new Float64Array(paths.length * 2);
    const hashes: string[] = [];
    let bytes = 0;
    let nextSize: number | undefined;
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i] as string;
      try {
        const fd = openSync(prefix + path, OPEN_FLAGS);
        try {
          const stat = fstatSync(fd);
          if (!stat.isFile()) {
            throw Object.assign(new Error('no longer a regular file'), { code: 'NOT_FILE' });
          }
          // Over budget: hand this file and the rest back rather than make them wait here.
          const alone = paths.length === 1;
          if (!alone && (stat.size >= budgetBytes || (i > 0 && bytes + stat.size > budgetBytes))) {
            nextSize = stat.size;
            break;
          }
          hashes.push(hashFd(fd, stat.size, buffer));
          stats[2 * i] = stat.size;
          stats[2 * i + 1] = stat.mtimeMs;
          bytes += stat.size;
        } finally {
          closeSync(fd);
        }
      } catch (error) {
        const { code = 'EIO', message } = error as NodeJS.ErrnoException;
        const failure: HashFailure = { path, code, message };
        port.postMessage({ slot, failure } satisfies HashResponse);
        return;
      }
    }
    const answer: HashResponse =
      nextSize === undefined ? { slot, stats, hashes } : { slot, stats, hashes, nextSize };
    port.postMessage(answer, [stats.buffer]);
  });
}

/** SHA-256 hex of exactly `size` bytes read from `fd`; throws `CHANGED` if the size moved. */
function hashFd(fd: number, size: number, buffer: Buffer): string {
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
    return hash('sha256', buffer.subarray(0, size), 'hex');
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
  return hasher.digest('hex');
}

function changed(expected: number, got: number): Error {
  return Object.assign(
    new Error(`its size changed while it was read (${expected} bytes, then ${got})`),
    {
      code: 'CHANGED',
    },
  );
}
