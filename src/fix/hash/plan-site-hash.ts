import { createHash } from 'node:crypto';
import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JobError } from '../../errors.ts';
import { textKindOf } from './extract-references.ts';
import { forEachLimited } from './for-each-limited.ts';
import { HashPlanner } from './hash-planner.ts';
import type { HashOptions, HashPlan } from './plan-hash.ts';
import type { SiteLocation } from './resolve-reference.ts';

/** Files read or hashed at once: enough to keep a disk busy, few enough to bound the buffers. */
const IO_CONCURRENCY = 4;
/** Components of pass 2 read ahead of the one being hashed. */
const READ_AHEAD = 4;
/** The buffer each worker streams a file without references through. */
const CHUNK_BYTES = 64 * 1024;

export interface SiteHashPlan {
  readonly plan: HashPlan;
  /** Every regular file of the site (site-relative, `/`-separated), sorted. */
  readonly paths: readonly string[];
  /** Symbolic links and special files: skipped (never followed). */
  readonly skipped: readonly string[];
}

/**
 * Plans content-hash names for the site in `dir` without holding it in memory: pass 1 reads
 * each file once (those that can hold references parsed for them, the others hashed through a
 * buffer per worker), keeping only their links and digests; pass 2 reads again, leaves first,
 * the files whose bytes or hash depend on other names, one component at a time. The plan holds
 * the edits that remake each changed file (applyHashPlan reads it again), not its bytes, so
 * memory grows with the map (names, links, edits), not with the bytes of the site. Reads only.
 */
export async function planSiteHash(
  dir: string,
  site: SiteLocation,
  options: HashOptions = {},
): Promise<SiteHashPlan> {
  const { paths, skipped } = await listSite(dir);
  const planner = new HashPlanner(paths, site, options);
  const buffers = Array.from({ length: IO_CONCURRENCY }, () => Buffer.allocUnsafe(CHUNK_BYTES));
  await forEachLimited(paths, IO_CONCURRENCY, async (path, worker) => {
    if (textKindOf(path) === undefined)
      planner.addLeaf(path, await sha256OfFile(dir, path, buffers[worker] as Buffer));
    else planner.addText(path, await readSiteFile(dir, path));
  });
  const components = planner.order();
  const readComponent = async (component: readonly string[]) => {
    const read = new Map<string, Uint8Array>();
    for (const path of component)
      if (planner.wants(path)) read.set(path, await readSiteFile(dir, path));
    return read;
  };
  const ahead: Promise<Map<string, Uint8Array>>[] = [];
  const count = components.ends.length;
  for (let k = 0; k < count; k++) {
    while (ahead.length <= READ_AHEAD && k + ahead.length < count) {
      const reading = readComponent(planner.component(components, k + ahead.length));
      // Awaited in turn below; until then a failure must not count as unhandled.
      reading.catch(() => {});
      ahead.push(reading);
    }
    const read = await (ahead.shift() as Promise<Map<string, Uint8Array>>);
    planner.hashComponent(planner.component(components, k), read);
  }
  return { plan: planner.plan(), paths, skipped };
}

/**
 * Every regular file under `dir`, sorted, and what is skipped (symbolic links, special files,
 * never followed). Walked a folder at a time: only the path strings are kept.
 */
async function listSite(dir: string): Promise<{ paths: string[]; skipped: string[] }> {
  const paths: string[] = [];
  const skipped: string[] = [];
  const walk = async (prefix: string): Promise<void> => {
    const entries = await readdir(join(dir, prefix), { withFileTypes: true });
    for (const entry of entries) {
      const path = `${prefix}${entry.name}`;
      if (entry.isDirectory()) await walk(`${path}/`);
      else (entry.isFile() ? paths : skipped).push(path);
    }
  };
  await walk('');
  const order = (a: string, b: string) => (a < b ? -1 : 1);
  return { paths: paths.sort(order), skipped: skipped.sort(order) };
}

function readError(path: string, error: unknown): JobError {
  return new JobError('E_HASH_READ', `cannot read ${path}: ${(error as Error).message}`, {
    at: path,
    hint: 'a file of the site vanished or is unreadable: run hash again once the build has finished',
  });
}

export async function readSiteFile(dir: string, path: string): Promise<Buffer> {
  try {
    return await readFile(join(dir, path));
  } catch (error) {
    throw readError(path, error);
  }
}

async function sha256OfFile(dir: string, path: string, buffer: Buffer): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(join(dir, path), 'r');
    const hash = createHash('sha256');
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
    return hash.digest('hex');
  } catch (error) {
    throw readError(path, error);
  } finally {
    await handle?.close();
  }
}
