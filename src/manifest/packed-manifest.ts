import {
  comparePaths,
  emptyFiles,
  type FileEntry,
  GENERATOR,
  MANIFEST_VERSION,
  type Manifest,
  type ManifestVersion,
  type RecordedValidators,
} from './manifest.ts';
import { PackedFilesBuilder } from './packed-files-builder.ts';

/**
 * The files of a release in columns: entry `i` is `paths[i]`, the 32 bytes of `sha256` from
 * `i * 32`, `sizes[i]`, `mtimes[i]` and `types[typeIds[i]]`. A plain manifest spends ~600 B of
 * heap per file (an object, a 64-character hex string, a dictionary slot); these columns spend
 * the path, 32 + 8 + 8 + 2 bytes and an array slot, and give the collector one object per
 * column instead of three per file.
 */
export interface PackedFiles {
  readonly count: number;
  /** Sorted by `comparePaths`, no path twice: a diff is a merge, a lookup a binary search. */
  readonly paths: readonly string[];
  /** SHA-256 digests, raw, 32 bytes per file. */
  readonly sha256: Uint8Array;
  readonly sizes: Float64Array;
  readonly mtimes: Float64Array;
  /** Index into `types` per file: a release has a few dozen distinct content types. */
  readonly typeIds: Uint16Array | Uint32Array;
  readonly types: readonly string[];
}

/** A `Manifest` with its files packed; the rest (small) as it is. */
export interface PackedManifest {
  readonly version: ManifestVersion;
  readonly generator: string;
  readonly createdAt: string;
  readonly baseUrl?: string;
  readonly files: PackedFiles;
  /** Per URL, as `Manifest.validators`: written only once a release was verified. */
  readonly validators?: Readonly<Record<string, RecordedValidators>>;
}

/** Packs a plain manifest. Its paths must already be safe and unique (a parsed or scanned one). */
export function packManifest(manifest: Manifest): PackedManifest {
  const builder = new PackedFilesBuilder();
  for (const path of Object.keys(manifest.files)) {
    const entry = manifest.files[path] as FileEntry;
    const index = builder.add(path, entry.size, entry.mtimeMs, entry.type);
    if (!builder.setShaHex(index, entry.sha256)) {
      throw new TypeError(`files[${JSON.stringify(path)}]: sha256 is not 64 lower-case hex digits`);
    }
  }
  const { files } = builder.finish();
  return withFiles(manifest, files);
}

/** The plain form, as `parseManifest` would return it for the same JSON. */
export function unpackManifest(packed: PackedManifest): Manifest {
  const files = emptyFiles();
  const { count } = packed.files;
  for (let i = 0; i < count; i++) {
    files[packed.files.paths[i] as string] = packedFileEntry(packed.files, i);
  }
  return withFiles(packed, files);
}

/** Entry `index` as a plain `FileEntry` (the hash in hex). */
export function packedFileEntry(files: PackedFiles, index: number): FileEntry {
  return {
    size: files.sizes[index] as number,
    mtimeMs: files.mtimes[index] as number,
    sha256: shaHexAt(files, index),
    type: files.types[files.typeIds[index] as number] as string,
  };
}

/** The index of `path`, or -1: a binary search over the sorted paths. */
export function findPackedPath(files: PackedFiles, path: string): number {
  let low = 0;
  let high = files.count - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const order = comparePaths(files.paths[middle] as string, path);
    if (order === 0) return middle;
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return -1;
}

/** The entry of `path`, or undefined (as `fileEntry` on the plain form). */
export function packedEntryOf(manifest: PackedManifest, path: string): FileEntry | undefined {
  const index = findPackedPath(manifest.files, path);
  return index < 0 ? undefined : packedFileEntry(manifest.files, index);
}

/** The lower-case hex SHA-256 of entry `index`: made only when a caller needs the text. */
export function shaHexAt(files: PackedFiles, index: number): string {
  const { sha256 } = files;
  return Buffer.from(sha256.buffer, sha256.byteOffset + index * 32, 32).toString('hex');
}

/** Whether entry `i` of `a` and entry `j` of `b` have the same bytes (the same SHA-256). */
export function sameSha(a: PackedFiles, i: number, b: PackedFiles, j: number): boolean {
  const x = a.sha256;
  const y = b.sha256;
  const from = i * 32;
  const to = j * 32;
  for (let k = 0; k < 32; k++) if (x[from + k] !== y[to + k]) return false;
  return true;
}

/**
 * Every path of either release, sorted, once: what a prefix or tag purge reaches (the planner's
 * `known`). One merge of the two sorted columns; the strings are the manifests' own.
 */
export function knownPaths(previous: PackedManifest, next: PackedManifest): string[] {
  const a = previous.files.paths;
  const b = next.files.paths;
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const order =
      i === a.length ? 1 : j === b.length ? -1 : comparePaths(a[i] as string, b[j] as string);
    if (order <= 0) out.push(a[i++] as string);
    else out.push(b[j++] as string);
    if (order === 0) j++;
  }
  return out;
}

/** An empty release, packed: what a first deploy diffs against. */
export function emptyPackedManifest(): PackedManifest {
  return {
    version: MANIFEST_VERSION,
    generator: GENERATOR,
    createdAt: '',
    files: new PackedFilesBuilder().finish().files,
  };
}

/** `source`'s metadata (version, generator, createdAt, baseUrl, validators) around `files`. */
function withFiles<F>(
  source: Omit<Manifest, 'files'>,
  files: F,
): Omit<Manifest, 'files'> & { files: F } {
  return {
    version: source.version,
    generator: source.generator,
    createdAt: source.createdAt,
    ...(source.baseUrl === undefined ? {} : { baseUrl: source.baseUrl }),
    files,
    ...(source.validators === undefined ? {} : { validators: source.validators }),
  };
}
