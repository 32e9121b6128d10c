import {
  emptyFiles,
  type FileEntry,
  GENERATOR,
  MANIFEST_VERSION,
  type Manifest,
  type ManifestVersion,
  type RecordedValidators,
} from './manifest.ts';
import { mergedPaths, type PathList } from './merged-paths.ts';
import { PackedFilesBuilder } from './packed-files-builder.ts';
import type { PathTable } from './path-table.ts';

/**
 * The files of a release in columns: entry `i` is `paths.at(i)`, the 32 bytes of `sha256` from
 * `i * 32`, `sizes[i]`, `mtimes[i]` and `types[typeIds[i]]`. A plain manifest spends ~600 B of
 * heap per file (an object, a 64-character hex string, a dictionary slot); these columns spend
 * the path's UTF-8 bytes + 4, then 32 + 8 + 8 + 2 bytes, all outside the collected heap, and
 * give the collector a handful of objects instead of three per file.
 */
export interface PackedFiles {
  readonly count: number;
  /** Sorted by `comparePaths`, no path twice: a diff is a merge, a lookup a binary search. */
  readonly paths: PathTable;
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
    files[packed.files.paths.at(i)] = packedFileEntry(packed.files, i);
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
  return files.paths.find(path);
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

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/**
 * Writes entry `index`'s SHA-256 as 64 lower-case hex digits into `target` at `at`; returns the
 * end. For writers that fill a buffer (no string per file, unlike `shaHexAt`).
 */
export function putShaHex(
  files: PackedFiles,
  index: number,
  target: Uint8Array,
  at: number,
): number {
  const { sha256 } = files;
  const from = index * 32;
  let to = at;
  for (let k = 0; k < 32; k++) {
    const byte = sha256[from + k] as number;
    target[to++] = HEX_DIGITS[byte >> 4] as number;
    target[to++] = HEX_DIGITS[byte & 15] as number;
  }
  return to;
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
 * `known`). A merge of the two sorted tables, made into strings only as it is iterated.
 */
export function knownPaths(previous: PackedManifest, next: PackedManifest): PathList {
  return mergedPaths(previous.files.paths, next.files.paths);
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
