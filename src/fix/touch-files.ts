import { lstat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors.ts';
import {
  emptyFiles,
  type FileEntry,
  fileEntry,
  isSafeRelativePath,
  type Manifest,
} from '../manifest/manifest.ts';
import { findPackedPath, type PackedManifest, packedEntryOf } from '../manifest/packed-manifest.ts';
import type { OriginStyle } from '../origin/origin-style.ts';
import { touchMtime } from '../origin/touch-mtime.ts';

export interface TouchResult {
  readonly touched: readonly string[];
  /** The manifest with the touched files' new mtimes, so the baseline records the truth. */
  readonly manifest: Manifest;
}

export interface TouchOptions {
  readonly now?: () => number;
  readonly dryRun?: boolean;
  /**
   * How the origin builds validators (default `nginx`). The new mtime is chosen so the
   * predicted validator differs at the style's resolution and Last-Modified moves (see
   * `touchMtime`); on a `content` origin a touch changes nothing, so no file is touched.
   */
  readonly style?: OriginStyle;
  /**
   * The baseline (the release browsers hold): the new mtime is also past its mtime for the
   * file, so a touch never lands in the second the previous release was served with.
   */
  readonly previous?: Manifest;
}

/**
 * Gives each path a new mtime so that mtime-based validators (nginx's, Apache's, Express's,
 * Caddy's and lighttpd's ETag, Last-Modified) change: `now`, moved on a second when that would
 * leave the whole-second mtime where it was. With `dryRun`, nothing is written.
 */
export async function touchFiles(
  dir: string,
  manifest: Manifest,
  paths: readonly string[],
  options: TouchOptions = {},
): Promise<TouchResult> {
  const files = Object.assign(emptyFiles(), manifest.files);
  const previous = options.previous;
  const touched = await touchEach(
    dir,
    paths,
    options,
    (path) => fileEntry(manifest, path),
    (path) => (previous === undefined ? undefined : fileEntry(previous, path)),
    (path, entry, mtimeMs) => {
      files[path] = { ...entry, mtimeMs };
    },
  );
  return { touched, manifest: { ...manifest, files } };
}

/** `touchFiles` on the packed form: the mtimes column is copied, the rest shared. */
export async function touchPackedFiles(
  dir: string,
  manifest: PackedManifest,
  paths: readonly string[],
  options: Omit<TouchOptions, 'previous'> & { readonly previous?: PackedManifest } = {},
): Promise<{ readonly touched: readonly string[]; readonly manifest: PackedManifest }> {
  const mtimes = Float64Array.from(manifest.files.mtimes);
  const previous = options.previous;
  const touched = await touchEach(
    dir,
    paths,
    options,
    (path) => packedEntryOf(manifest, path),
    (path) => (previous === undefined ? undefined : packedEntryOf(previous, path)),
    (path, _entry, mtimeMs) => {
      mtimes[findPackedPath(manifest.files, path)] = mtimeMs;
    },
  );
  return { touched, manifest: { ...manifest, files: { ...manifest.files, mtimes } } };
}

/** The touch itself, whatever form the manifest has: `entryOf` finds, `record` keeps. */
async function touchEach(
  dir: string,
  paths: readonly string[],
  options: Pick<TouchOptions, 'now' | 'dryRun' | 'style'>,
  entryOf: (path: string) => FileEntry | undefined,
  previousOf: (path: string) => FileEntry | undefined,
  record: (path: string, entry: FileEntry, mtimeMs: number) => void,
): Promise<string[]> {
  const now = options.now ?? Date.now;
  const style = options.style ?? 'nginx';
  const touched: string[] = [];
  for (const path of paths) {
    const entry = entryOf(path);
    // Paths come from a scan of `dir`; still, never let a path reach outside it.
    if (entry === undefined || !isSafeRelativePath(path)) {
      throw new InputError(
        'E_TOUCH_PATH',
        `refusing to touch ${JSON.stringify(path)}: not a file of the release`,
        {
          at: path,
        },
      );
    }
    const before = previousOf(path);
    const latest = Math.max(entry.mtimeMs, before?.mtimeMs ?? Number.NEGATIVE_INFINITY);
    const mtimeMs = touchMtime(style, latest, now());
    if (mtimeMs === undefined) continue;
    const full = join(dir, path);
    if (!options.dryRun) {
      // lstat, not stat: a symlink inside the dir is touched through its target by utimes,
      // which the scan already proved stays inside the directory.
      await lstat(full);
      await utimes(full, mtimeMs / 1000, mtimeMs / 1000);
    }
    record(path, entry, mtimeMs);
    touched.push(path);
  }
  return touched;
}
