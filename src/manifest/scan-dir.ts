import { contentTypeFor } from './content-type.ts';
import { HashPool, type PutFile } from './hash-pool.ts';
import { type FileEntry, GENERATOR, MANIFEST_VERSION, type Manifest } from './manifest.ts';
import { PackedFilesBuilder } from './packed-files-builder.ts';
import type { PackedManifest } from './packed-manifest.ts';
import { Walker } from './walk-dir.ts';

export interface ScanOptions {
  /**
   * Worker threads hashing beside the main thread (which hashes too); defaults to
   * `os.availableParallelism() - 1`, at least 1.
   */
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
  const files: Record<string, FileEntry> = {};
  const header = await scanInto(dir, options, (path, size, mtimeMs, digests, at) => {
    const entry: FileEntry = {
      size,
      mtimeMs,
      sha256: Buffer.from(digests.buffer, digests.byteOffset + 32 * at, 32).toString('hex'),
      type: contentTypeFor(path),
    };
    // A file named `__proto__` must become a key, not the object's prototype.
    if (path === '__proto__') {
      Object.defineProperty(files, path, {
        value: entry,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else files[path] = entry;
  });
  return { ...header, files };
}

/**
 * `scanDir` into the packed form: the same entries, held in columns as they are hashed
 * (~100 B per file instead of ~600), never as one object per file.
 */
export async function scanDirPacked(
  dir: string,
  options: ScanOptions = {},
): Promise<PackedManifest> {
  const builder = new PackedFilesBuilder();
  const header = await scanInto(dir, options, (path, size, mtimeMs, digests, at) => {
    builder.setSha(builder.add(path, size, mtimeMs, contentTypeFor(path)), digests, 32 * at);
  });
  return { ...header, files: builder.finish().files };
}

/** Walks and hashes `dir`, handing each entry to `put` in walk order; the manifest's header. */
async function scanInto(
  dir: string,
  options: ScanOptions,
  put: PutFile,
): Promise<Omit<Manifest, 'files'>> {
  options.signal?.throwIfAborted();
  const createdAt = (options.now ?? (() => new Date()))().toISOString();
  const walker = new Walker(dir);
  const first = walker.next();
  if (first !== undefined) await new HashPool(walker, put, options).run(first);
  return {
    version: MANIFEST_VERSION,
    generator: GENERATOR,
    createdAt,
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
  };
}
