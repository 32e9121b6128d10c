/**
 * Worker thread of `scanDir`: hashes batches of files under a root and answers with each file's
 * size, mtime and SHA-256, all taken from the one descriptor it read, so they describe the same
 * bytes. Reads go through one reused buffer; no file is ever held whole.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { hashFile } from './hash-file.ts';

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
 * Worker → main. The answer covers the first `count` paths of the request; fewer than asked
 * means the byte budget ran out and the rest is handed back. One message per request, two
 * transferred buffers, no object or string per file.
 */
export type HashResponse =
  | {
      readonly slot: number;
      readonly count: number;
      /** `[size0, mtimeMs0, size1, mtimeMs1, …]`, transferred, not copied. */
      readonly stats: Float64Array;
      /** The raw 32-byte SHA-256 digests one after the other, transferred, not copied. */
      readonly digests: Uint8Array;
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
    const digests = new Uint8Array(paths.length * 32);
    let count = 0;
    let bytes = 0;
    let nextSize: number | undefined;
    // Over budget: hand this file and the rest back rather than make them wait here. A request
    // of one file (one over the budget is sent alone) has no bound.
    const alone = paths.length === 1;
    for (let i = 0; i < paths.length; i++) {
      const path = paths[i] as string;
      const maxSize = alone
        ? Number.POSITIVE_INFINITY
        : Math.min(budgetBytes - 1, budgetBytes - bytes);
      let size: number;
      try {
        size = hashFile(prefix + path, buffer, maxSize, stats, digests, i);
      } catch (error) {
        const { code = 'EIO', message } = error as NodeJS.ErrnoException;
        const failure: HashFailure = { path, code, message };
        port.postMessage({ slot, failure } satisfies HashResponse);
        return;
      }
      if (size > maxSize) {
        nextSize = size;
        break;
      }
      count = i + 1;
      bytes += size;
    }
    const answer: HashResponse =
      nextSize === undefined
        ? { slot, count, stats, digests }
        : { slot, count, stats, digests, nextSize };
    port.postMessage(answer, [stats.buffer, digests.buffer]);
  });
}
