import { copyFile, mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { HashPlan } from './plan-hash.ts';

/**
 * Carries out a hash plan. In place (`out` undefined), in an order that keeps the site whole
 * if it stops part-way: first every renamed file is written under its new name (the old pages
 * still name the old files, which are still there), then each page that keeps its name is
 * replaced by an atomic rename, and only then are the renamed originals removed. Into `out`:
 * every file of the site is written there (changed ones with new names and bytes, the rest
 * copied), the source untouched.
 */
export async function applyHashPlan(
  dir: string,
  paths: readonly string[],
  plan: HashPlan,
  out?: string,
): Promise<void> {
  if (out === undefined) {
    const moved = [...plan.outputs].filter(([from, output]) => output.path !== from);
    const kept = [...plan.outputs].filter(([from, output]) => output.path === from);
    for (const [from, output] of moved) {
      const target = join(dir, output.path);
      await mkdir(dirname(target), { recursive: true });
      if (output.bytes === undefined) await copyFile(join(dir, from), target);
      else await writeFile(target, output.bytes);
    }
    for (const [from, output] of kept) {
      if (output.bytes === undefined) continue;
      const target = join(dir, from);
      const temporary = `${target}.edgepurge-${process.pid}.tmp`;
      await writeFile(temporary, output.bytes);
      await rename(temporary, target);
    }
    for (const [from] of moved) await unlink(join(dir, from));
    return;
  }
  for (const path of paths) {
    const output = plan.outputs.get(path);
    const target = join(out, output?.path ?? path);
    await mkdir(dirname(target), { recursive: true });
    if (output?.bytes === undefined) await copyFile(join(dir, path), target);
    else await writeFile(target, output.bytes);
  }
}

/** The plan's renames in the rev-manifest shape. */
export function renameMap(plan: HashPlan): Record<string, string> {
  return Object.fromEntries(plan.renames.map(({ from, to }) => [from, to]));
}
