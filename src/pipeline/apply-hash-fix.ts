import { copyFile, mkdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { applyHashPlan } from '../fix/hash/index.ts';
import { isSafeRelativePath } from '../manifest/manifest.ts';
import type { HashFix } from './plan-hash-fix.ts';

/**
 * Writes a planned hash fix into the publish dir, in place: renames and rewrites (the site stays
 * whole if it stops part-way, see applyHashPlan), kept hashed files of earlier releases copied
 * back from the state, expired ones removed; then this release's hashed files are copied into
 * the state so a rebuilt tree of a later release can be given them back.
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
  for (const path of fix.expired) {
    if (isSafeRelativePath(path)) await rm(join(fix.state.filesDir, path), { force: true });
  }
  // This release's hashed names (renamed now, or carried from a tree hashed before).
  for (const to of Object.values(fix.history.releases[0] ?? {})) {
    const target = join(fix.state.filesDir, to);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(join(dir, to), target);
  }
}

/** Saves the history with this release's map first: beside the baseline, when it is saved. */
export async function saveHashHistory(fix: HashFix): Promise<void> {
  await mkdir(dirname(fix.state.historyPath), { recursive: true });
  const temporary = `${fix.state.historyPath}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(fix.history, null, 2)}\n`);
  await rename(temporary, fix.state.historyPath);
}
