import { copyFile, mkdir, readdir, rename, rm, rmdir, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { applyHashPlan } from '../fix/hash/index.ts';
import type { HashFix } from './plan-hash-fix.ts';

/**
 * Writes a planned hash fix into the publish dir, in place: renames and rewrites (the site stays
 * whole if it stops part-way, see applyHashPlan), kept hashed files of earlier releases copied
 * back from the state, expired ones removed from the tree; then this release's hashed files are
 * copied into the state so a rebuilt tree of a later release can be given them back (the state's
 * expired copies go when the history is saved, after verification: saveHashHistory).
 */
export async function applyHashFix(dir: string, fix: HashFix): Promise<void> {
  await applyHashPlan(dir, [], fix.plan);
  for (const path of fix.restore) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(join(fix.state.filesDir, path), target);
    const mtimeMs = fix.restoreMtimes[path];
    if (mtimeMs !== undefined && mtimeMs > 0) await utimes(target, mtimeMs / 1000, mtimeMs / 1000);
  }
  for (const path of fix.expire) await rm(join(dir, path), { force: true });
  // This release's hashed names (renamed now, or carried from a tree hashed before).
  for (const to of Object.values(fix.history.releases[0] ?? {})) {
    const target = join(fix.state.filesDir, to);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(join(dir, to), target);
  }
}

/**
 * Saves the history with this release's map first: beside the baseline, when it is saved. Then
 * removes the copies no kept release names: those a failed deploy left behind (applyHashFix
 * copies before verification, the history is saved only after it).
 */
export async function saveHashHistory(fix: HashFix): Promise<void> {
  await mkdir(dirname(fix.state.historyPath), { recursive: true });
  const temporary = `${fix.state.historyPath}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(fix.history, null, 2)}\n`);
  await rename(temporary, fix.state.historyPath);
  const kept = new Set(fix.history.releases.flatMap((release) => Object.values(release)));
  await pruneCopies(fix.state.filesDir, fix.state.filesDir, kept);
}

/** Removes files under `dir` whose path (relative to `root`, `/`-separated) is not `kept`. */
async function pruneCopies(root: string, dir: string, kept: ReadonlySet<string>): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await pruneCopies(root, path, kept);
      // Only an emptied folder goes; one with kept files stays.
      await rmdir(path).catch(() => undefined);
    } else if (!kept.has(relative(root, path).split(sep).join('/'))) {
      await rm(path, { force: true });
    }
  }
}
