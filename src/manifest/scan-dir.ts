import { HashPool } from './hash-pool.ts';
import { type FileEntry, GENERATOR, MANIFEST_VERSION, type Manifest } from './manifest.ts';
import { Walker } from './walk-dir.ts';

export interface ScanOptions {
  /** Hashing threads; defaults to `os.availableParallelism()`. */
  workers?: number;
  baseUrl?: string;
  /** Clock for `createdAt`; injectable so tests get stable output. */
  now?: () => Date;
  /** Running totals, at most every ~100 ms, and once more with the final totals. */
  onProgress?: (progress: { files: number; bytes: number }) => void;
  signal?: AbortSignal;
}

/**
 * Scans `dir` into a release manifest: for every regular file, its size, mtime, SHA-256 and
 * content type, keyed by POSIX path relative to `dir` and inserted in `comparePaths` order.
 * Hashing runs on worker threads; besides the result, only the directories being walked and
 * the batches in flight are held.
 *
 * Symlinks are followed when their real target stays inside `dir` (a symlinked directory that
 * leads back to one of its ancestors is not entered again); sockets and FIFOs are skipped.
 *
 * @throws InputError `E_DIR` (missing or not a directory), `E_SYMLINK_ESCAPE` (a symlink that
 *   leaves `dir` or dangles), `E_FILE_NAME` (a name that is not valid UTF-8 or holds a
 *   backslash), `E_FILE_READ` (permission denied).
 * @throws JobError `E_SCAN_RACE` when a file vanishes or changes while it is scanned.
 */
export async function scanDir(dir: string, options: ScanOptions = {}): Promise<Manifest> {
  options.signal?.throwIfAborted();
  const createdAt = (options.now ?? (() => new Date()))().toISOString();
  const walker = new Walker(dir);
  const files: Record<string, FileEntry> = {};
  const first = walker.next();
  if (first !== undefined) await new HashPool(walker, files, options).run(first);
  return {
    version: MANIFEST_VERSION,
    generator: GENERATOR,
    createdAt,
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
    files,
  };
}
