import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { InputError, JobError } from '../errors.ts';
import { hashFile } from './hash-file.ts';
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
// whole of `node -e 0`), while a small file costs ~10 µs and SHA-256 runs at ~1 GB/s. The
// first files, up to these caps (~10 ms of work), never wait for a worker; a tree that
// outgrows them goes to the workers from there on (bench: startup).
const INLINE_MAX_FILES = 256;
const INLINE_MAX_BYTES = 8 << 20;
// Past the caps the main thread still hashes a batch whenever every worker holds its
// BATCHES_PER_WORKER requests, and goes back to the event loop between batches, so an answer
// waits at most one batch (~3 ms). Walking and storing take it ~3 µs per file, a third of a
// small file's hashing: it would otherwise idle most of the scan (bench: scan, issue 11:
// 100,000 small files, 2 cores: ~15 % less CPU, ~10 % less time). A file over this budget goes
// to a worker.
const MAIN_BUDGET_BYTES = 1 << 20;

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
  /** Handed back: the size of the first file, when a worker or this thread has seen it. */
  readonly firstSize?: number;
}

interface Posted extends Work {
  readonly worker: number;
  readonly order: number;
  stolen: boolean;
}

/**
 * Hashes the walker's files: the first ones on this thread (a small tree never starts a worker),
 * the rest on worker threads and, while they are all busy, on this thread too; stored in walk
 * (= sorted) order.
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
  #mainTurnQueued = false;
  #settled = false;
  #resolve: () => void = () => {};
  #reject: (error: unknown) => void = () => {};

  /** The root with a trailing `/`: where this thread's hashing opens files. */
  readonly #prefix: string;
  // Allocated at the first batch this thread hashes, not with the pool: a 1 MiB buffer held
  // from the start made the workers' reads of the large tree ~2x dearer in system time, in
  // the CLI process only (dist/cli.js, 20,000 files of ~50 KB: 0.8 s sys instead of 0.4,
  // 3 runs each; cause not found). The inline phase uses a buffer of its own, freed after.
  #mainBuffer: Buffer | undefined;

  /** `put` receives each file, in walk order (scan-dir.ts: a record or packed columns). */
  constructor(walker: Walker, put: PutFile, options: ScanOptions) {
    this.#walker = walker;
    this.#prefix = walker.root.endsWith('/') ? walker.root : `${walker.root}/`;
    this.#put = put;
    this.#options = options;
    // The main thread hashes too (see MAIN_BUDGET_BYTES), so one worker fewer than cores by
    // default: on 2 cores, 2 workers and the main thread made 3 threads that preempt each
    // other, ~10 % more CPU for no gain in time (bench: scan, issue 11).
    const count = Math.max(1, Math.floor(options.workers ?? availableParallelism() - 1));
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
    const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const stats = new Float64Array(2);
    const digests = new Uint8Array(32);
    const signal = this.#options.signal;
    for (let path = this.#carry; path !== undefined; path = this.#walker.next()) {
      signal?.throwIfAborted();
      if (this.#fileCount >= INLINE_MAX_FILES) {
        this.#carry = path;
        return false;
      }
      const maxSize = INLINE_MAX_BYTES - this.#byteCount;
      let size: number;
      try {
        size = hashFile(this.#prefix + path, buffer, maxSize, stats, digests, 0);
      } catch (error) {
        const { code = 'EIO', message } = error as NodeJS.ErrnoException;
        throw failureError(this.#walker.dir, { path, code, message });
      }
      if (size > maxSize) {
        this.#carry = path;
        return false;
      }
      this.#put(path, size, stats[1] as number, digests, 0);
      this.#fileCount++;
      this.#byteCount += size;
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
    } else if (!this.#mainTurnQueued && !this.#settled && this.#hasWorkHere()) {
      // Every worker is busy: this thread takes the next batch itself.
      this.#mainTurnQueued = true;
      setImmediate(this.#mainTurn);
    }
  }

  /**
   * Whether this thread has work: a part handed back whose first file fits MAIN_BUDGET_BYTES,
   * or a new batch. No new batch while more parts wait than there are workers: the walk would
   * run ahead of the hashing and hold every path it passed (a tree of files over this
   * thread's budget).
   */
  #hasWorkHere(): boolean {
    return this.#fitsHere(this.#handedBack[0]) || this.#mayWalkHere();
  }

  /** Takes the work `#hasWorkHere` promised. */
  #takeWorkHere(): Work | undefined {
    if (this.#fitsHere(this.#handedBack[0])) return this.#handedBack.shift();
    return this.#mayWalkHere() ? this.#walk(MAIN_BUDGET_BYTES) : undefined;
  }

  #fitsHere(work: Work | undefined): boolean {
    return work !== undefined && (work.firstSize ?? Number.POSITIVE_INFINITY) <= MAIN_BUDGET_BYTES;
  }

  #mayWalkHere(): boolean {
    return !this.#walkDone && this.#handedBack.length <= this.#count;
  }

  /** Hashes one batch on this thread, then lets the workers' answers in. */
  readonly #mainTurn = (): void => {
    this.#mainTurnQueued = false;
    if (this.#settled) return;
    try {
      const work = this.#takeWorkHere();
      if (work !== undefined) this.#hashHere(work);
      this.#store();
      this.#pump();
    } catch (error) {
      this.#settle(error);
    }
  };

  /** Hashes `work` on this thread up to MAIN_BUDGET_BYTES; the rest goes to the workers. */
  #hashHere(work: Work): void {
    this.#mainBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const buffer = this.#mainBuffer;
    const batch = this.#batches.get(work.batch) as Batch;
    const { paths, offset } = work;
    let count = 0;
    let bytes = 0;
    let nextSize = 0;
    for (; count < paths.length; count++) {
      const path = paths[count] as string;
      const maxSize = MAIN_BUDGET_BYTES - bytes;
      let size: number;
      try {
        size = hashFile(
          this.#prefix + path,
          buffer,
          maxSize,
          batch.stats,
          batch.digests,
          offset + count,
        );
      } catch (error) {
        const { code = 'EIO', message } = error as NodeJS.ErrnoException;
        throw failureError(this.#walker.dir, { path, code, message });
      }
      if (size > maxSize) {
        nextSize = size;
        break;
      }
      bytes += size;
    }
    this.#answered(work, count, bytes, nextSize);
  }

  #leastLoaded(): number {
    let best = 0;
    for (let i = 1; i < this.#load.length; i++) {
      if ((this.#load[i] as number) < (this.#load[best] as number)) best = i;
    }
    return best;
  }

  /** The next batch from the walker, `targetBytes` by the mean file so far. */
  #walk(targetBytes = TARGET_BATCH_BYTES): Work | undefined {
    if (this.#walkDone) return undefined;
    const limit =
      this.#fileCount === 0
        ? FIRST_BATCH_FILES
        : Math.max(
            1,
            Math.min(
              MAX_BATCH_FILES,
              Math.floor((targetBytes * this.#fileCount) / (this.#byteCount + 1)),
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
    batch.stats.set(stats.subarray(0, 2 * count), 2 * posted.offset);
    let bytes = 0;
    for (let i = 0; i < count; i++) bytes += stats[2 * i] as number;
    this.#answered(posted, count, bytes, nextSize);
  }

  /**
   * Counts the first `count` files of `posted` (`bytes` in all) as stored in their batch and
   * hands the rest back; `nextSize` is the size of the first file left over.
   */
  #answered(posted: Work, count: number, bytes: number, nextSize: number): void {
    const batch = this.#batches.get(posted.batch) as Batch;
    batch.filled += count;
    this.#fileCount += count;
    this.#byteCount += bytes;
    if (count < posted.paths.length) {
      const offset = posted.offset + count;
      const rest = posted.paths.slice(count);
      // A file over the budget goes out alone, so it holds up no other file.
      if (nextSize >= WORKER_BUDGET_BYTES && rest.length > 1) {
        this.#handedBack.unshift(
          { batch: posted.batch, offset, paths: rest.slice(0, 1), firstSize: nextSize },
          { batch: posted.batch, offset: offset + 1, paths: rest.slice(1) },
        );
      } else {
        this.#handedBack.unshift({ batch: posted.batch, offset, paths: rest, firstSize: nextSize });
      }
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
