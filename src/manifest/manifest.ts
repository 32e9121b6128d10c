import { InputError } from '../errors.ts';
import { VERSION } from '../version.ts';

/** The manifest format this build reads and writes. Another version is refused. */
export const MANIFEST_VERSION = 1;

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
  readonly version: typeof MANIFEST_VERSION;
  readonly generator: string;
  readonly createdAt: string;
  readonly baseUrl?: string;
  readonly files: Readonly<Record<string, FileEntry>>;
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
  if (/^[a-zA-Z]:/.test(path)) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/** Serialises a manifest with sorted keys, so equal trees give equal bytes (but `createdAt`). */
export function serializeManifest(manifest: Manifest): string {
  const files = emptyFiles();
  for (const path of Object.keys(manifest.files).sort(comparePaths)) {
    const entry = manifest.files[path] as FileEntry;
    files[path] = {
      mtimeMs: entry.mtimeMs,
      sha256: entry.sha256,
      size: entry.size,
      type: entry.type,
    };
  }
  const out: Record<string, unknown> = {};
  if (manifest.baseUrl !== undefined) out.baseUrl = manifest.baseUrl;
  out.createdAt = manifest.createdAt;
  out.files = files;
  out.generator = manifest.generator;
  out.version = manifest.version;
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** Code-unit order: stable across locales, unlike localeCompare. */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

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
    throw new InputError('E_MANIFEST', `${source}: ${message}`, {
      at,
      hint: 'pass a manifest written by `edgepurge manifest`; do not edit it by hand',
    });
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail('a manifest is a JSON object', source);
  }
  const record = raw as Record<string, unknown>;
  if (record.version !== MANIFEST_VERSION) {
    throw new InputError(
      'E_MANIFEST_VERSION',
      `${source} has manifest version ${JSON.stringify(record.version)}; this edgepurge reads version ${MANIFEST_VERSION}`,
      { at: `${source}: version`, hint: 'write the manifest again with this edgepurge version' },
    );
  }
  const files = record.files;
  if (typeof files !== 'object' || files === null || Array.isArray(files)) {
    return fail('"files" must be an object of path → entry', 'files');
  }
  const out = emptyFiles();
  for (const [path, value] of Object.entries(files as Record<string, unknown>)) {
    const at = `files[${JSON.stringify(path)}]`;
    if (!isSafeRelativePath(path)) {
      fail(`${at} is not a relative path inside the publish directory`, at);
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
      fail(`${at} needs size, mtimeMs, sha256 (64 hex digits) and type`, at);
    }
    const ok = entry as { size: number; mtimeMs: number; sha256: string; type: string };
    out[path] = { size: ok.size, mtimeMs: ok.mtimeMs, sha256: ok.sha256, type: ok.type };
  }
  const manifest: Manifest = {
    version: MANIFEST_VERSION,
    generator: typeof record.generator === 'string' ? record.generator : 'unknown',
    createdAt: typeof record.createdAt === 'string' ? record.createdAt : '',
    files: out,
  };
  if (typeof record.baseUrl === 'string') return { ...manifest, baseUrl: record.baseUrl };
  return manifest;
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
