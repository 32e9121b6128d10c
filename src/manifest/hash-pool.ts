import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { InputError, JobError } from '../errors.ts';
import { type FileHash, hashFile } from './hash-file.ts';
import type { HashFailure, HashRequest, HashResponse, HashWorkerData } from './hash-worker.ts';
import { hashWorkerScript } from './hash-worker-script.ts';
import type { ScanOptions } from './scan-dir.ts';
import type { Walker } from './walk-dir.ts';

// Work distribution. A message round trip costs tens of microseconds, about what hashing ten
// small files costs, so paths travel in batches: up to MAX_BATCH_FILES, fewer when the mean
// file seen so far is large, aiming at TARGET_BATCH_BYTES. Sizes are unknown until a worker
// opens a file (a stat on the main thread would cost more than hashing a small file), so the
// worker enforces the byte bound: it stops before a file that would take the request past
// WORKER_BUDGET_BYTES and hands the rest back, and a file over the budget is sent out alone.
// Each worker holds BATCHES_PER_WORKER requests so it never waits for the main thread; one
// still queued behind a long file is taken back (claimed through shared memory) for a worker
// that runs dry. Result: a 1 GiB file occupies one worker, never the files queued behind it.
const MAX_BATCH_FILES = 256;
const FIRST_BATCH_FILES = 16;
const TARGET_BATCH_BYTES = 4 << 20;
const WORKER_BUDGET_BYTES = 2 * TARGET_BATCH_BYTES;
const BATCHES_PER_WORKER = 3;
// 1 MiB: files up to this size take one read and a one-shot hash; 128 KiB to 4 MiB measured
// the same on large files (bench: scan).
const READ_BUFFER_BYTES = 1 << 20;
const PROGRESS_INTERVAL_MS = 100;
// Small trees are hashed on the main thread: a worker takes ~50 ms to start (more than the
// whole of `node -e 0`), while a small file costs ~25 µs and SHA-256 runs at ~1 GB/s. The
// first files, up to these caps (~10 ms of work), never wait for a worker; a tree that
// outgrows them goes to the workers from there on (bench: startup).
const INLINE_MAX_FILES = 256;
const INLINE_MAX_BYTES = 8 << 20;

/**
 * Receives each file, in walk order: its size, mtime and the SHA-256 at bytes
 * `[32 * at, 32 * at + 32)` of `digests` (the pool's buffer, shared by a batch: copy the bytes).
 */
export type PutFile = (
  path: string,
  size: number,
  mtimeMs: number,
  digests: Uint8Array,
  at: number,
) => void;

/** Paths in walk order, answered piecewise; stored once complete and all earlier ones are. */
interface Batch {
  readonly paths: string[];
  readonly stats: Float64Array;
  /** 32 bytes per path, raw. */
  readonly digests: Uint8Array;
  filled: number;
}

/** A part of a batch, posted to a worker under a shared-memory claim slot. */
interface Work {
  readonly batch: number;
  readonly offset: number;
  readonly paths: string[];
}

interface Posted extends Work {
  readonly worker: number;
  readonly order: number;
  stolen: boolean;
}

/**
 * Hashes the walker's files: the first ones on this thread (a small tree never starts a worker),
 * the rest on worker threads, stored in walk (= sorted) order.
 */
export class HashPool {
  readonly #walker: Walker;
  readonly #put: PutFile;
  readonly #options: ScanOptions;
  readonly #count: number;
  readonly #workers: Worker[] = [];
  /** Requests posted to each worker and not answered yet (stolen ones until skipped). */
  readonly #load: number[] = [];
  /** Slot → request. A worker claims slot 0 → 1 before hashing; a thief claims 0 → 2. */
  readonly #posted: (Posted | undefined)[];
  readonly #freeSlots: number[];
  readonly #claims: Int32Array;
  readonly #batches = new Map<number, Batch>();
  /** Parts handed back by a worker that hit its byte budget: dealt out before new batches. */
  readonly #handedBack: Work[] = [];
  #carry: string | undefined;
  #walkDone = false;
  #nextBatch = 0;
  #nextToStore = 0;
  #order = 0;
  #fileCount = 0;
  #byteCount = 0;
  #lastProgress = performance.now();
  #settled = false;
  #resolve: () => void = () => {};
  #reject: (error: unknown) => void = () => {};

  /** `put` receives each file, in walk order (scan-dir.ts: a record or packed columns). */
  constructor(walker: Walker, put: PutFile, options: ScanOptions) {
    this.#walker = walker;
    this.#put = put;
    this.#options = options;
    const count = Math.max(1, Math.floor(options.workers ?? availableParallelism()));
    const slots = count * BATCHES_PER_WORKER;
    this.#claims = new Int32Array(new SharedArrayBuffer(4 * slots));
    this.#posted = new Array<Posted | undefined>(slots).fill(undefined);
    this.#freeSlots = Array.from({ length: slots }, (_, i) => slots - 1 - i);
    this.#count = count;
  }

  /** Starts the workers: only once the tree proved too big to hash on the main thread. */
  #startWorkers(): void {
    const workerData: HashWorkerData = {
      root: this.#walker.root,
      bufferBytes: READ_BUFFER_BYTES,
      budgetBytes: WORKER_BUDGET_BYTES,
      claims: this.#claims,
    };
    for (let i = 0; i < this.#count; i++) {
      const worker =
        'source' in hashWorkerScript
          ? new Worker(hashWorkerScript.source, { eval: true, workerData })
          : new Worker(hashWorkerScript.url, { workerData });
      worker.on('message', (message: HashResponse) => this.#onMessage(i, message));
      worker.on('error', (error) => this.#settle(error));
      worker.on('exit', (code) =>
        this.#settle(new Error(`hash worker ${i} exited (code ${code})`)),
      );
      this.#workers.push(worker);
      this.#load.push(0);
    }
  }

  run(first: string): Promise<void> {
    this.#carry = first;
    const done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#options.signal?.addEventListener('abort', this.#onAbort, { once: true });
    // The caller's synchronous part ends before a file is opened, as it did when workers did
    // all the reading: an abort or a change right after the call is seen.
    queueMicrotask(() => {
      try {
        if (this.#settled) return;
        if (this.#hashInline()) {
          this.#options.onProgress?.({ files: this.#fileCount, bytes: this.#byteCount });
          this.#settle();
          return;
        }
        this.#startWorkers();
        this.#pump();
      } catch (error) {
        this.#settle(error);
      }
    });
    return done;
  }

  /**
   * Hashes files from the walk on this thread while they stay within the INLINE_ caps; true
   * when that finished the walk. The file that would pass a cap is left for the workers.
   */
  #hashInline(): boolean {
    const prefix = this.#walker.root.endsWith('/') ? this.#walker.root : `${this.#walker.root}/`;
    const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const signal = this.#options.signal;
    const admit = (size: number): boolean =>
      this.#fileCount < INLINE_MAX_FILES && this.#byteCount + size <= INLINE_MAX_BYTES;
    for (let path = this.#carry; path !== undefined; path = this.#walker.next()) {
      signal?.throwIfAborted();
      let hashed: FileHash | undefined;
      try {
        hashed = hashFile(prefix + path, buffer, admit);
      } catch (error) {
        const { code = 'EIO', message } = error as NodeJS.ErrnoException;
        throw failureError(this.#walker.dir, { path, code, message });
      }
      if (hashed === undefined) {
        this.#carry = path;
        return false;
      }
      this.#put(path, hashed.size, hashed.mtimeMs, hashed.sha256, 0);
      this.#fileCount++;
      this.#byteCount += hashed.size;
    }
    this.#carry = undefined;
    this.#walkDone = true;
    return true;
  }

  readonly #onAbort = (): void => this.#settle(this.#options.signal?.reason);

  #settle(error?: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    for (const worker of this.#workers) void worker.terminate();
    if (error === undefined) this.#resolve();
    else this.#reject(error);
  }

  /** Keeps every worker at BATCHES_PER_WORKER requests while there is work. */
  #pump(): void {
    for (;;) {
      const target = this.#leastLoaded();
      if ((this.#load[target] as number) >= BATCHES_PER_WORKER) break;
      const work =
        this.#handedBack.shift() ??
        this.#walk() ??
        ((this.#load[target] as number) === 0 ? this.#steal(target) : undefined);
      if (work === undefined) break;
      this.#post(target, work);
    }
    if (this.#walkDone && this.#batches.size === 0) {
      this.#options.onProgress?.({ files: this.#fileCount, bytes: this.#byteCount });
      this.#settle();
    }
  }

  #leastLoaded(): number {
    let best = 0;
    for (let i = 1; i < this.#load.length; i++) {
      if ((this.#load[i] as number) < (this.#load[best] as number)) best = i;
    }
    return best;
  }

  /** The next batch from the walker, sized by the mean file so far. */
  #walk(): Work | undefined {
    if (this.#walkDone) return undefined;
    const limit =
      this.#fileCount === 0
        ? FIRST_BATCH_FILES
        : Math.max(
            1,
            Math.min(
              MAX_BATCH_FILES,
              Math.floor((TARGET_BATCH_BYTES * this.#fileCount) / (this.#byteCount + 1)),
            ),
          );
    const paths: string[] = [];
    if (this.#carry !== undefined) {
      paths.push(this.#carry);
      this.#carry = undefined;
    }
    while (paths.length < limit) {
      const path = this.#walker.next();
      if (path === undefined) {
        this.#walkDone = true;
        break;
      }
      paths.push(path);
    }
    if (paths.length === 0) return undefined;
    const batch = this.#nextBatch++;
    this.#batches.set(batch, {
      paths,
      stats: new Float64Array(paths.length * 2),
      digests: new Uint8Array(paths.length * 32),
      filled: 0,
    });
    return { batch, offset: 0, paths };
  }

  /** Takes back the newest request another worker has not started, for an idle `thief`. */
  #steal(thief: number): Work | undefined {
    let found: Posted | undefined;
    let foundSlot = -1;
    for (let slot = 0; slot < this.#posted.length; slot++) {
      const posted = this.#posted[slot];
      if (posted === undefined || posted.stolen || posted.worker === thief) continue;
      if (found !== undefined && posted.order < found.order) continue;
      if (Atomics.load(this.#claims, slot) !== 0) continue;
      found = posted;
      foundSlot = slot;
    }
    if (found === undefined || Atomics.compareExchange(this.#claims, foundSlot, 0, 2) !== 0) {
      return undefined;
    }
    // The victim answers `skipped` when it reaches the request; its slot is freed then.
    found.stolen = true;
    return { batch: found.batch, offset: found.offset, paths: found.paths };
  }

  #post(worker: number, work: Work): void {
    const slot = this.#freeSlots.pop() as number;
    Atomics.store(this.#claims, slot, 0);
    this.#posted[slot] = { ...work, worker, order: this.#order++, stolen: false };
    this.#load[worker] = (this.#load[worker] as number) + 1;
    const request: HashRequest = { slot, paths: work.paths };
    (this.#workers[worker] as Worker).postMessage(request);
  }

  #onMessage(worker: number, message: HashResponse): void {
    if (this.#settled) return;
    try {
      const posted = this.#posted[message.slot] as Posted;
      this.#posted[message.slot] = undefined;
      this.#freeSlots.push(message.slot);
      this.#load[worker] = (this.#load[worker] as number) - 1;
      if ('failure' in message) throw failureError(this.#walker.dir, message.failure);
      if ('digests' in message) this.#accept(posted, message);
      this.#store();
      this.#pump();
    } catch (error) {
      this.#settle(error);
    }
  }

  #accept(posted: Posted, answer: Extract<HashResponse, { digests: Uint8Array }>): void {
    const { count, stats, digests, nextSize = 0 } = answer;
    const batch = this.#batches.get(posted.batch) as Batch;
    batch.digests.set(digests.subarray(0, 32 * count), 32 * posted.offset);
    for (let i = 0; i < count; i++) {
      const at = posted.offset + i;
      batch.stats[2 * at] = stats[2 * i] as number;
      batch.stats[2 * at + 1] = stats[2 * i + 1] as number;
      this.#byteCount += stats[2 * i] as number;
    }
    batch.filled += count;
    this.#fileCount += count;
    if (count < posted.paths.length) {
      const offset = posted.offset + count;
      const rest = posted.paths.slice(count);
      // A file over the budget goes out alone, so it holds up no other file.
      if (nextSize >= WORKER_BUDGET_BYTES && rest.length > 1) {
        this.#handedBack.unshift(
          { batch: posted.batch, offset, paths: rest.slice(0, 1) },
          { batch: posted.batch, offset: offset + 1, paths: rest.slice(1) },
        );
      } else this.#handedBack.unshift({ batch: posted.batch, offset, paths: rest });
    }
    const onProgress = this.#options.onProgress;
    const now = performance.now();
    if (onProgress !== undefined && now - this.#lastProgress >= PROGRESS_INTERVAL_MS) {
      this.#lastProgress = now;
      onProgress({ files: this.#fileCount, bytes: this.#byteCount });
    }
  }

  /** Moves complete batches into the result, in walk order. */
  #store(): void {
    for (;;) {
      const batch = this.#batches.get(this.#nextToStore);
      if (batch === undefined || batch.filled < batch.paths.length) return;
      this.#batches.delete(this.#nextToStore++);
      const { paths, stats, digests } = batch;
      for (let i = 0; i < paths.length; i++) {
        this.#put(
          paths[i] as string,
          stats[2 * i] as number,
          stats[2 * i + 1] as number,
          digests,
          i,
        );
      }
    }
  }
}

function failureError(dir: string, failure: HashFailure): Error {
  const at = join(dir, failure.path);
  switch (failure.code) {
    case 'ENOENT':
    case 'ENOTDIR':
    case 'ELOOP':
    case 'CHANGED':
    case 'NOT_FILE':
      return new JobError('E_SCAN_RACE', `${at} changed while it was scanned: ${failure.message}`, {
        at,
        hint: 'scan when nothing writes to the directory (after the build has finished)',
      });
    case 'EACCES':
    case 'EPERM':
      return new InputError('E_FILE_READ', `cannot read ${at}: permission denied`, {
        at,
        hint: 'give the user running edgepurge read access, or remove the file from the directory',
      });
    default:
      return new JobError('E_SCAN_READ', `cannot read ${at}: ${failure.message}`, {
        at,
        hint: 'check the disk and the file system, then scan again',
      });
  }
}
