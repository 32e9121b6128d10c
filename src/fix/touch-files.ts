import { lstat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors.ts';
import { emptyFiles, fileEntry, isSafeRelativePath, type Manifest } from '../manifest/manifest.ts';
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
  const now = options.now ?? Date.now;
  const style = options.style ?? 'nginx';
  const files = Object.assign(emptyFiles(), manifest.files);
  const touched: string[] = [];
  for (const path of paths) {
    const entry = fileEntry(manifest, path);
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
    const before = options.previous === undefined ? undefined : fileEntry(options.previous, path);
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
    files[path] = { ...entry, mtimeMs };
    touched.push(path);
  }
  return { touched, manifest: { ...manifest, files } };
}
