import { stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { InputError, JobError } from '../errors.ts';
import { readPackedManifestFile, requirePackedManifestFile } from './baseline-file.ts';
import type {
  ManifestReadAnswer,
  ManifestReadRequest,
  MarshalledError,
} from './manifest-read-worker.ts';
import { manifestReadWorkerScript } from './manifest-read-worker-script.ts';
import type { PackedManifest } from './packed-manifest.ts';
import { receivedPackedManifest } from './transfer-packed-manifest.ts';

/**
 * Two manifests are read at once only when both files are over this size. Reading costs
 * ~4-5 ms of CPU per MB (~1 s for 1,000,000 files, ~220 MB); a worker thread takes ~50 ms to
 * start and answer (measured: the compiled worker, `new Worker(source, { eval: true })`),
 * which it spends before its read, while this thread reads the other file. So reading at once
 * gains from ~11 MB each (~50,000 files); below that a pair is read faster one after the other.
 * Half as much again, so a slow start on a busy runner does not turn the gain into a loss.
 */
export const PARALLEL_READ_MIN_BYTES = 16 << 20;

/** A manifest file to read: `readPackedManifestFile`'s path and `at`. */
export interface ManifestFileRead {
  readonly path: string;
  /** The key or flag the path came from, named in errors. */
  readonly at: string;
  /** When given, the file must exist: `requirePackedManifestFile`'s error names it so. */
  readonly what?: string;
}

/** What a read gives: a manifest, or also `undefined` (no such file) when it may be missing. */
export type ReadOf<R extends ManifestFileRead> = R extends { readonly what: string }
  ? PackedManifest
  : PackedManifest | undefined;

/**
 * Reads two manifest files, as `readPackedManifestFile` (or `requirePackedManifestFile` with
 * `what`) would one after the other, but at once when both are large: `first` on a worker
 * thread, `second` on this one, the worker's columns transferred back. The same results and
 * the same errors as the serial reads, in the same precedence: `first`'s error wins (`second`'s
 * read is then stopped), `second`'s is thrown once `first` was read. An abort of `signal`
 * terminates the worker and is thrown as it is.
 */
export async function readPackedManifestPair<
  A extends ManifestFileRead,
  B extends ManifestFileRead,
>(first: A, second: B, signal?: AbortSignal): Promise<[ReadOf<A>, ReadOf<B>]> {
  const [a, b] = await readPackedManifestsAtOnce(first, second, signal);
  return [a, await b];
}

/**
 * `readPackedManifestPair`, with `second`'s outcome as a promise, settled already: a caller
 * that would read `second` later (plan: the baseline, after checking the release) awaits it
 * then, and meets its error where it met it before.
 */
export async function readPackedManifestsAtOnce<
  A extends ManifestFileRead,
  B extends ManifestFileRead,
>(first: A, second: B, signal?: AbortSignal): Promise<[ReadOf<A>, Promise<ReadOf<B>>]> {
  if (!(await bothLarge(first.path, second.path))) {
    const a = await readHere(first, signal);
    const b = readHere(second, signal);
    await b.catch(() => {});
    return [a as ReadOf<A>, b as Promise<ReadOf<B>>];
  }
  const stop = new AbortController();
  const stopped = signal === undefined ? stop.signal : AbortSignal.any([signal, stop.signal]);
  const there = readInWorker(first, stopped);
  const here = readHere(second, stopped);
  // Handled now: a rejection that waits for `first` is not an unhandled one (the caller still
  // gets the rejected promise).
  const hereSettled = here.catch(() => {});
  let a: PackedManifest | undefined;
  try {
    // A file that vanished after the stat: read it again here, for requirePackedManifestFile's
    // own answer.
    a = (await there) ?? (await orMissing(first, signal));
  } catch (error) {
    stop.abort(error);
    await hereSettled;
    throw error;
  }
  await hereSettled;
  return [a as ReadOf<A>, here as Promise<ReadOf<B>>];
}

/** Whether both paths are regular files over PARALLEL_READ_MIN_BYTES (else, read as today). */
async function bothLarge(a: string, b: string): Promise<boolean> {
  const large = (path: string) =>
    stat(path).then(
      (info) => info.isFile() && info.size > PARALLEL_READ_MIN_BYTES,
      () => false,
    );
  const [x, y] = await Promise.all([large(a), large(b)]);
  return x && y;
}

async function readHere(
  read: ManifestFileRead,
  signal: AbortSignal | undefined,
): Promise<PackedManifest | undefined> {
  return (await readPackedManifestFile(read.path, read.at, signal)) ?? orMissing(read, signal);
}

/** `undefined` for a file that may be missing; requirePackedManifestFile's answer otherwise. */
async function orMissing(
  read: ManifestFileRead,
  signal: AbortSignal | undefined,
): Promise<PackedManifest | undefined> {
  if (read.what === undefined) return undefined;
  signal?.throwIfAborted();
  return requirePackedManifestFile(read.path, read.what, read.at);
}

/** `readPackedManifestFile(read.path, read.at)` on a worker thread, terminated on abort. */
function readInWorker(
  read: ManifestFileRead,
  signal: AbortSignal,
): Promise<PackedManifest | undefined> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const workerData: ManifestReadRequest = { path: read.path, at: read.at };
    const worker =
      'source' in manifestReadWorkerScript
        ? new Worker(manifestReadWorkerScript.source, { eval: true, workerData })
        : new Worker(manifestReadWorkerScript.url, { workerData });
    let settled = false;
    const settle = (done: () => void, afterExit = false) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      // Once answered, the worker's heap (the parser's garbage) is freed now, not at exit.
      const exited = worker.terminate();
      if (afterExit) void exited.then(done, done);
      else done();
    };
    // An abort is thrown once the thread is gone: nothing reads on behind the caller's back.
    const onAbort = () => settle(() => reject(signal.reason), true);
    signal.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (answer: ManifestReadAnswer) =>
      settle(() => {
        if (answer.ok) {
          resolve(
            answer.manifest === undefined ? undefined : receivedPackedManifest(answer.manifest),
          );
        } else reject('bug' in answer ? answer.bug : rebuiltError(answer.error));
      }),
    );
    worker.once('error', (error) => settle(() => reject(error)));
    worker.once('exit', (code) =>
      settle(() =>
        reject(new Error(`the manifest-reading worker exited (${code}) without answering`)),
      ),
    );
  });
}

/** The worker's EdgepurgeError, rebuilt with its class, code, message, `at` and hint. */
function rebuiltError({ code, message, exitCode, at, hint }: MarshalledError): Error {
  const details = { ...(at === undefined ? {} : { at }), ...(hint === undefined ? {} : { hint }) };
  return exitCode === 2
    ? new InputError(code, message, details)
    : new JobError(code, message, details);
}
