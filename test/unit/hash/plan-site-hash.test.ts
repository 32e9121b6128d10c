import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyHashPlan } from '../../../src/fix/hash/apply-hash-plan.ts';
import { forEachLimited } from '../../../src/fix/hash/for-each-limited.ts';
import { planHash } from '../../../src/fix/hash/plan-hash.ts';
import { planSiteHash } from '../../../src/fix/hash/plan-site-hash.ts';
import type { SiteLocation } from '../../../src/fix/hash/resolve-reference.ts';
import {
  cycles,
  handWritten,
  hugoLike,
  moduleApp,
  type Site,
  site,
  sriImportMap,
  sriPage,
} from './site-fixtures.ts';

const ROOT: SiteLocation = { basePath: '/', baseUrl: 'https://www.example.com' };
let work = '';

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'edgepurge-site-hash-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function writeSite(dir: string, files: Site): Promise<void> {
  for (const [path, bytes] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), bytes);
  }
}

/** The tree as the in-memory plan would leave it. */
function appliedInMemory(files: Site, location: SiteLocation): Map<string, string> {
  const plan = planHash(files, location);
  const out = new Map<string, string>();
  for (const [path, bytes] of files) {
    const output = plan.outputs.get(path);
    out.set(output?.path ?? path, Buffer.from(output?.bytes ?? bytes).toString('hex'));
  }
  return out;
}

async function readTree(dir: string, paths: Iterable<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const path of paths) out.set(path, (await readFile(join(dir, path))).toString('hex'));
  return out;
}

describe('planSiteHash: the site read from disk in two passes, the bytes made again on apply', () => {
  it.each([
    ['hand-written', handWritten, ROOT],
    ['hugo-like', hugoLike, { basePath: '/blog/' }],
    ['cycles', cycles, ROOT],
    ['module app', moduleApp, ROOT],
    ['sri', sriPage, ROOT],
    ['import map integrity', sriImportMap, ROOT],
  ] as const)(
    '%s: the same plan and the same tree as planning in memory',
    async (_name, files, location) => {
      const dir = join(work, 'site');
      await writeSite(dir, files);
      const { plan, paths, skipped } = await planSiteHash(dir, location);
      const memory = planHash(files, location);
      expect(paths).toEqual([...files.keys()].sort());
      expect(skipped).toEqual([]);
      expect(plan.renames).toEqual(memory.renames);
      expect(plan.rewrites).toEqual(memory.rewrites);
      expect(plan.cycles).toEqual(memory.cycles);
      expect(plan.warnings).toEqual(memory.warnings);
      // A plan from disk holds how to remake the bytes, not the bytes.
      for (const output of plan.outputs.values()) expect(output.bytes).toBeUndefined();

      const expected = appliedInMemory(files, location);
      const out = join(work, 'out');
      await applyHashPlan(dir, paths, plan, out);
      expect(await readTree(out, expected.keys())).toEqual(expected);
      // In place: the same tree, the renamed originals gone.
      await applyHashPlan(dir, paths, plan);
      expect(await readTree(dir, expected.keys())).toEqual(expected);
      for (const { from } of plan.renames)
        await expect(readFile(join(dir, from))).rejects.toThrow(/ENOENT/);
    },
  );

  it('a page changed between the plan and its apply is refused (E_HASH_RACE), not half-rewritten', async () => {
    const dir = join(work, 'site');
    await writeSite(dir, site({ 'index.html': '<img src="a.png">', 'a.png': new Uint8Array([1]) }));
    const { plan, paths } = await planSiteHash(dir, ROOT);
    await writeFile(join(dir, 'index.html'), '<img src="a.png"><p>edited</p>');
    await expect(applyHashPlan(dir, paths, plan, join(work, 'out'))).rejects.toMatchObject({
      code: 'E_HASH_RACE',
    });
  });
});

describe('forEachLimited', () => {
  it('runs every item, never more than the limit at once, in order of start', async () => {
    const started: number[] = [];
    let running = 0;
    let most = 0;
    await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      started.push(item);
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
    });
    expect(started).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(3);
  });

  it('stops taking items after a failure and throws it once the others settle', async () => {
    const done: number[] = [];
    await expect(
      forEachLimited([1, 2, 3, 4, 5, 6], 2, async (item) => {
        await new Promise((resolve) => setImmediate(resolve));
        if (item === 2) throw new Error('item 2');
        done.push(item);
      }),
    ).rejects.toThrow('item 2');
    expect(done).toEqual([1, 3]);
  });
});
