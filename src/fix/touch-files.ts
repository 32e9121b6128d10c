import { lstat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors.ts';
import { emptyFiles, fileEntry, isSafeRelativePath, type Manifest } from '../manifest/manifest.ts';

export interface TouchResult {
  readonly touched: readonly string[];
  /** The manifest with the touched files' new mtimes, so the baseline records the truth. */
  readonly manifest: Manifest;
}

/**
 * Gives each path a new mtime so that mtime-size validators (nginx's and Apache's ETag,
 * Last-Modified) change. The new time is `now`, moved on a second when that would leave the
 * whole-second mtime as it was (validators carry seconds). With `dryRun`, nothing is written.
 */
export async function touchFiles(
  dir: string,
  manifest: Manifest,
  paths: readonly string[],
  options: { now?: () => number; dryRun?: boolean } = {},
): Promise<TouchResult> {
  const now = options.now ?? Date.now;
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
    const oldSeconds = Math.floor(entry.mtimeMs / 1000);
    let seconds = Math.floor(now() / 1000);
    if (seconds <= oldSeconds) seconds = oldSeconds + 1;
    const full = join(dir, path);
    if (!options.dryRun) {
      // lstat, not stat: a symlink inside the dir is touched through its target by utimes,
      // which the scan already proved stays inside the directory.
      await lstat(full);
      await utimes(full, seconds, seconds);
    }
    files[path] = { ...entry, mtimeMs: seconds * 1000 };
    touched.push(path);
  }
  return { touched, manifest: { ...manifest, files } };
}
