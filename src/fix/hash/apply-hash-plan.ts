import { copyFile, mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { JobError } from '../../errors.ts';
import { forEachLimited } from './for-each-limited.ts';
import type { HashOutput, HashPlan } from './plan-hash.ts';
import { readSiteFile } from './plan-site-hash.ts';
import { sha256Hex } from './reference-graph.ts';
import { applyEdits } from './rewrite-references.ts';

/** Files written or copied at once. */
const IO_CONCURRENCY = 4;

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The new bytes of a changed file: from the plan when it holds them, else made again from the
 * file as it is now, which must still be the bytes the plan was made from.
 */
async function newBytesOf(dir: string, from: string, output: HashOutput): Promise<Uint8Array> {
  if (output.bytes !== undefined) return output.bytes;
  const rewrite = output.rewrite;
  if (rewrite === undefined) throw new Error(`hash: no new bytes planned for ${from}`);
  const source = await readSiteFile(dir, from);
  let text: string | undefined;
  try {
    text = applyEdits(decoder.decode(source), rewrite.edits);
  } catch {
    text = undefined;
  }
  const bytes = text === undefined ? undefined : Buffer.from(text);
  if (bytes === undefined || bytes.length !== rewrite.size || sha256Hex(bytes) !== rewrite.sha256) {
    throw new JobError('E_HASH_RACE', `${from} changed after the hash plan was made`, {
      at: from,
      hint: 'run hash (or the deploy) again: the plan no longer matches the site',
    });
  }
  return bytes;
}

/**
 * Carries out a hash plan. In place (`out` undefined), in an order that keeps the site whole
 * if it stops part-way: first every renamed file is written under its new name (the old pages
 * still name the old files, which are still there), then each page that keeps its name is
 * replaced by an atomic rename, and only then are the renamed originals removed. Into `out`:
 * every file of the site is written there (changed ones with new names and bytes, the rest
 * copied), the source untouched. A changed file's bytes come from the plan, or (a plan made
 * from disk) are made again from the file, one file at a time.
 */
export async function applyHashPlan(
  dir: string,
  paths: readonly string[],
  plan: HashPlan,
  out?: string,
): Promise<void> {
  const folders = new Map<string, Promise<unknown>>();
  const write = async (from: string, output: HashOutput | undefined, target: string) => {
    const folder = dirname(target);
    let made = folders.get(folder);
    if (made === undefined) {
      made = mkdir(folder, { recursive: true });
      folders.set(folder, made);
    }
    await made;
    if (output === undefined || (output.bytes === undefined && output.rewrite === undefined))
      await copyFile(join(dir, from), target);
    else await writeFile(target, await newBytesOf(dir, from, output));
  };
  if (out === undefined) {
    const moved = [...plan.outputs].filter(([from, output]) => output.path !== from);
    const kept = [...plan.outputs].filter(([from, output]) => output.path === from);
    await forEachLimited(moved, IO_CONCURRENCY, ([from, output]) =>
      write(from, output, join(dir, output.path)),
    );
    await forEachLimited(kept, IO_CONCURRENCY, async ([from, output]) => {
      if (output.bytes === undefined && output.rewrite === undefined) return;
      const target = join(dir, from);
      const temporary = `${target}.edgepurge-${process.pid}.tmp`;
      await writeFile(temporary, await newBytesOf(dir, from, output));
      await rename(temporary, target);
    });
    await forEachLimited(moved, IO_CONCURRENCY, ([from]) => unlink(join(dir, from)));
    return;
  }
  await forEachLimited(paths, IO_CONCURRENCY, (path) => {
    const output = plan.outputs.get(path);
    return write(path, output, join(out, output?.path ?? path));
  });
}

/** The plan's renames in the rev-manifest shape. */
export function renameMap(plan: HashPlan): Record<string, string> {
  return Object.fromEntries(plan.renames.map(({ from, to }) => [from, to]));
}
