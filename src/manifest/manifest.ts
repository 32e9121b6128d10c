import { InputError } from '../errors.ts';
import { VERSION } from '../version.ts';
import { duplicateMemberOf } from './duplicate-member.ts';
import { packManifest } from './packed-manifest.ts';
import { manifestChunks } from './write-manifest-stream.ts';

/**
 * The manifest format this build writes. Version 2 adds `validators` (what the edge served when
 * the release was verified); version 1 is still read (no validators recorded). Another is refused.
 */
export const MANIFEST_VERSION = 2;

/** Every version `parseManifest` reads. */
export const READABLE_MANIFEST_VERSIONS: readonly number[] = [1, 2];

/** A version this build reads; whatever a manifest says, it is written as `MANIFEST_VERSION`. */
export type ManifestVersion = 1 | 2;

/**
 * The validators the edge served for one URL when its release was verified: what a browser that
 * fetched it then holds, and sends back as `If-None-Match` / `If-Modified-Since`.
 */
export interface RecordedValidators {
  readonly etag?: string;
  readonly lastModified?: string;
}

export interface FileEntry {
  readonly size: number;
  readonly mtimeMs: number;
  /** Lower-case hex SHA-256 of the file's bytes. */
  readonly sha256: string;
  /** Content type, as a static server would send it (`text/html; charset=utf-8`). */
  readonly type: string;
}

/** A release: every file of the publish directory, keyed by POSIX path relative to it. */
export interface Manifest {
  readonly version: ManifestVersion;
  readonly generator: string;
  readonly createdAt: string;
  readonly baseUrl?: string;
  readonly files: Readonly<Record<string, FileEntry>>;
  /**
   * Per public URL (as verified: `https://www.example.com/docs/`), the validators the edge
   * served when this release was verified. Absent or empty: none recorded (a scan, a first
   * deploy not yet verified, a version 1 baseline).
   */
  readonly validators?: Readonly<Record<string, RecordedValidators>>;
}

export const GENERATOR = `edgepurge/${VERSION}`;

/**
 * A relative POSIX path that stays inside its root: not absolute, no `..`, `.` or empty segment,
 * no backslash, no NUL. Paths in a crafted baseline must never reach outside the publish dir.
 */
export function isSafeRelativePath(path: string): boolean {
  if (path.length === 0 || path.startsWith('/') || path.includes('\\') || path.includes('\0')) {
    return false;
  }
  // A lone surrogate (JSON can escape one) names no file: file names are UTF-8 on disk.
  if (!path.isWellFormed()) return false;
  if (/^[a-zA-Z]:/.test(path)) return false;
  // No empty, `.` or `..` segment: with a slash added at both ends, none of these appear.
  const wrapped = `/${path}/`;
  return !wrapped.includes('//') && !wrapped.includes('/./') && !wrapped.includes('/../');
}

/**
 * Serialises a manifest with sorted keys, so equal trees give equal bytes (but `createdAt`):
 * `JSON.stringify(…, null, 2)`'s layout with every key in `comparePaths` order, then a newline.
 * Written by the streaming writer (`manifestChunks`), so both give the same bytes — also for
 * file names like `9` and `10`, which a JavaScript object would list in numeric order.
 */
export function serializeManifest(manifest: Manifest): string {
  return [...manifestChunks(packManifest(manifest))].join('');
}

/** Code-unit order: stable across locales, unlike localeCompare. */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

// What a refused manifest is told, shared with the streaming reader (manifest-stream-parser.ts).
export const ENTRY_NEEDS = 'needs size, mtimeMs, sha256 (64 hex digits) and type';
export const UNSAFE_PATH = 'is not a relative path inside the publish directory';
export const FILES_NOT_OBJECT = '"files" must be an object of path → entry';
export const VALIDATORS_NOT_OBJECT =
  '"validators" must be an object of URL → { etag, lastModified }';
export const VALIDATOR_NEEDS = 'needs etag and lastModified as strings (either may be absent)';

/** A manifest refused (exit 2) for `message`, naming `source` and the entry `at` fault. */
export function manifestError(source: string, message: string, at: string): InputError {
  return new InputError('E_MANIFEST', `${source}: ${message}`, {
    at,
    hint: 'pass a manifest written by `edgepurge manifest`; do not edit it by hand',
  });
}

/** A manifest of a version this build does not read (`version` as the file holds it). */
export function manifestVersionError(source: string, version: unknown): InputError {
  return new InputError(
    'E_MANIFEST_VERSION',
    `${source} has manifest version ${JSON.stringify(version)}; this edgepurge reads versions ${READABLE_MANIFEST_VERSIONS.join(' and ')}`,
    {
      at: `${source}: version`,
      hint: 'a newer edgepurge wrote it: upgrade edgepurge, or write the manifest again with this version',
    },
  );
}

/**
 * Parses and validates manifest JSON text. Throws InputError (exit 2) naming `source` and the
 * entry at fault: malformed JSON, another version, a path that is absolute or climbs out.
 */
export function parseManifest(text: string, source: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InputError('E_MANIFEST', `${source} is not valid JSON: ${(error as Error).message}`, {
      at: source,
      hint: 'pass a manifest written by `edgepurge manifest`',
    });
  }
  const fail = (message: string, at: string): never => {
    throw manifestError(source, message, at);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail('a manifest is a JSON object', source);
  }
  const record = raw as Record<string, unknown>;
  if (!READABLE_MANIFEST_VERSIONS.includes(record.version as number)) {
    throw manifestVersionError(source, record.version);
  }
  const files = record.files;
  if (typeof files !== 'object' || files === null || Array.isArray(files)) {
    return fail(FILES_NOT_OBJECT, 'files');
  }
  const out = emptyFiles();
  let count = 0;
  for (const [path, value] of Object.entries(files as Record<string, unknown>)) {
    count++;
    // Built only for an error: a manifest holds up to a million entries.
    const at = () => `files[${JSON.stringify(path)}]`;
    if (!isSafeRelativePath(path)) {
      fail(`${at()} ${UNSAFE_PATH}`, at());
    }
    const entry = value as Record<string, unknown> | null;
    if (
      typeof entry !== 'object' ||
      entry === null ||
      !Number.isSafeInteger(entry.size) ||
      (entry.size as number) < 0 ||
      typeof entry.mtimeMs !== 'number' ||
      !Number.isFinite(entry.mtimeMs) ||
      typeof entry.sha256 !== 'string' ||
      !SHA256_HEX.test(entry.sha256) ||
      typeof entry.type !== 'string'
    ) {
      fail(`${at()} ${ENTRY_NEEDS}`, at());
    }
    const ok = entry as { size: number; mtimeMs: number; sha256: string; type: string };
    out[path] = { size: ok.size, mtimeMs: ok.mtimeMs, sha256: ok.sha256, type: ok.type };
  }
  const validators = record.version === 1 ? undefined : parseValidators(record.validators, fail);
  // JSON.parse keeps the last of two equal keys: a path (or URL) listed twice would silently
  // lose an entry. The parsed counts are compared with the text's, which costs one scan.
  const duplicate = duplicateMemberOf(
    text,
    validators === undefined
      ? { files: count }
      : { files: count, validators: Object.keys(validators).length },
  );
  if (duplicate !== undefined) {
    fail(
      `${duplicate.member}[${JSON.stringify(duplicate.key)}] is listed twice`,
      `${duplicate.member}[${JSON.stringify(duplicate.key)}]`,
    );
  }
  const manifest: Manifest = {
    // Read as the version this build writes: a version 1 baseline simply recorded no validators.
    version: MANIFEST_VERSION,
    generator: typeof record.generator === 'string' ? record.generator : 'unknown',
    createdAt: typeof record.createdAt === 'string' ? record.createdAt : '',
    files: out,
    ...(validators === undefined ? {} : { validators }),
  };
  if (typeof record.baseUrl === 'string') return { ...manifest, baseUrl: record.baseUrl };
  return manifest;
}

/** `validators` of a version 2 manifest: URL → { etag?, lastModified? }, strings only. */
function parseValidators(
  raw: unknown,
  fail: (message: string, at: string) => never,
): Record<string, RecordedValidators> | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail(VALIDATORS_NOT_OBJECT, 'validators');
  }
  const out: Record<string, RecordedValidators> = Object.create(null);
  for (const [url, value] of Object.entries(raw as Record<string, unknown>)) {
    const at = `validators[${JSON.stringify(url)}]`;
    const entry = value as Record<string, unknown> | null;
    if (
      typeof entry !== 'object' ||
      entry === null ||
      Array.isArray(entry) ||
      (entry.etag !== undefined && typeof entry.etag !== 'string') ||
      (entry.lastModified !== undefined && typeof entry.lastModified !== 'string')
    ) {
      fail(`${at} ${VALIDATOR_NEEDS}`, at);
    }
    const ok = entry as { etag?: string; lastModified?: string };
    out[url] = {
      ...(ok.etag === undefined ? {} : { etag: ok.etag }),
      ...(ok.lastModified === undefined ? {} : { lastModified: ok.lastModified }),
    };
  }
  return out;
}

/**
 * A files map with no prototype: a file may be called `__proto__` or `constructor`, and such a
 * name must be a key like any other, never the prototype or an inherited member.
 */
export function emptyFiles(): Record<string, FileEntry> {
  return Object.create(null) as Record<string, FileEntry>;
}

/** The entry of `path`, or undefined; own keys only, whatever the map's prototype. */
export function fileEntry(manifest: Manifest, path: string): FileEntry | undefined {
  return Object.hasOwn(manifest.files, path) ? manifest.files[path] : undefined;
}

/** An empty release: what a first deploy with no baseline diffs against. */
export function emptyManifest(): Manifest {
  return { version: MANIFEST_VERSION, generator: GENERATOR, createdAt: '', files: emptyFiles() };
}
