import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type ResolvedConfig } from '../../src/config/load-config.ts';
import { diffManifests } from '../../src/manifest/diff-manifests.ts';
import { emptyManifest, type Manifest } from '../../src/manifest/manifest.ts';
import { packManifest, unpackManifest } from '../../src/manifest/packed-manifest.ts';
import { scanDir } from '../../src/manifest/scan-dir.ts';
import { applyHashFix, saveHashHistory } from '../../src/pipeline/apply-hash-fix.ts';
import {
  hashStateOf,
  planHashFix as planPacked,
  purgeDiffOf,
} from '../../src/pipeline/plan-hash-fix.ts';

const log = { info: () => {}, warn: () => {} };

/** planHashFix takes and gives the packed form; these tests read the plain one. */
async function planHashFix(
  c: ResolvedConfig,
  scanned: Manifest,
  previous: Manifest,
  logger: typeof log,
) {
  const { fix, next } = await planPacked(c, packManifest(scanned), packManifest(previous), logger);
  return { fix, next: unpackManifest(next) };
}
let work = '';
let site = '';

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'edgepurge-hash-fix-'));
  site = path.join(work, 'public');
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function build(css: string): Promise<void> {
  await rm(site, { recursive: true, force: true });
  await mkdir(site, { recursive: true });
  await writeFile(path.join(site, 'index.html'), '<link rel="stylesheet" href="a.css"><h1>x</h1>');
  await writeFile(path.join(site, 'a.css'), css);
}

async function config(keep: number): Promise<ResolvedConfig> {
  const file = path.join(work, 'edgepurge.config.json');
  await writeFile(
    file,
    JSON.stringify({
      dir: 'public',
      baseUrl: 'https://www.example.com',
      baseline: 'state/baseline.json',
      fix: 'hash',
      hash: { keep },
    }),
  );
  return loadConfig({ configPath: file, cwd: work, env: {} });
}

/** One release: build, plan, apply, save; returns the plan's result and the written tree. */
async function release(c: ResolvedConfig, css: string, previous: Manifest) {
  await build(css);
  const scanned = await scanDir(site);
  const { fix, next } = await planHashFix(c, scanned, previous, log);
  const diff = diffManifests(previous, next, { style: 'content' });
  await applyHashFix(site, fix);
  await saveHashHistory(fix);
  const written = await scanDir(site);
  return { fix, next, diff, written };
}

const sorted = (files: Manifest) => Object.keys(files.files).sort();

describe('planHashFix', () => {
  it('plans the post-fix manifest: hashed names with the bytes written, nothing written while planning', async () => {
    const c = await config(2);
    await build('a{color:red}');
    const scanned = await scanDir(site);
    const { fix, next } = await planHashFix(c, scanned, emptyManifest(), log);
    expect(fix.plan.renames).toHaveLength(1);
    const hashed = fix.plan.renames[0]?.to as string;
    expect(hashed).toMatch(/^a\.[0-9a-f]{8}\.css$/);
    expect(sorted(next)).toEqual([hashed, 'index.html']);
    // Planning wrote nothing: the tree and the state are as built.
    expect((await readdir(site)).sort()).toEqual(['a.css', 'index.html']);
    expect(existsSync(hashStateOf(c).historyPath)).toBe(false);
    // Applied, the tree is what was planned, byte for byte.
    await applyHashFix(site, fix);
    const written = await scanDir(site);
    for (const file of sorted(next))
      expect(written.files[file]?.sha256).toBe(next.files[file]?.sha256);
  });

  it('keeps the old hashed CSS for hash.keep releases (restored into a rebuilt tree), then expires it', async () => {
    const c = await config(1);
    const one = await release(c, 'a{color:red}', emptyManifest());
    const css1 = one.fix.plan.renames[0]?.to as string;

    const two = await release(c, 'a{color:blue}', one.written);
    const css2 = two.fix.plan.renames[0]?.to as string;
    expect(two.fix.restore).toEqual([css1]);
    expect(sorted(two.written)).toEqual([css1, css2, 'index.html'].sort());
    // Restored with the mtime it was served with: its mtime-size validators do not move.
    // (utimes takes seconds as a double: equal to the microsecond, what validators use at most.)
    const restored = two.written.files[css1]?.mtimeMs ?? 0;
    expect(Math.abs(restored - (one.written.files[css1]?.mtimeMs ?? 0))).toBeLessThan(0.001);
    // The new hashed URL is verified, not purged: the purge diff keeps only the page.
    expect(two.diff.added).toEqual([css2]);
    expect(two.diff.changed).toEqual(['index.html']);
    const purge = purgeDiffOf(two.diff, two.fix);
    expect(purge.added).toEqual([]);
    expect(purge.changed).toEqual(['index.html']);

    const three = await release(c, 'a{color:green}', two.written);
    const css3 = three.fix.plan.renames[0]?.to as string;
    // keep 1: release 2's CSS stays, release 1's is gone from the tree and purged as removed.
    expect(three.fix.restore).toEqual([css2]);
    expect(three.diff.removed).toEqual([css1]);
    expect(purgeDiffOf(three.diff, three.fix).removed).toEqual([css1]);
    expect(sorted(three.written)).toEqual([css2, css3, 'index.html'].sort());
    expect(existsSync(path.join(hashStateOf(c).filesDir, css1))).toBe(false);
  });

  it('a tree hashed already (deployed again, not rebuilt) carries its names on and expires nothing live', async () => {
    const c = await config(0);
    const one = await release(c, 'a{color:red}', emptyManifest());
    const css1 = one.fix.plan.renames[0]?.to as string;
    const scanned = await scanDir(site);
    const { fix, next } = await planHashFix(c, scanned, one.written, log);
    expect(fix.plan.renames).toEqual([]);
    expect(fix.expire).toEqual([]);
    expect(fix.history.releases[0]).toEqual({ 'a.css': css1 });
    expect(diffManifests(one.written, next, { style: 'content' }).changed).toEqual([]);
  });

  it('a deploy that failed verification leaves no copy behind: the next saved history prunes it', async () => {
    const c = await config(1);
    const one = await release(c, 'a{color:red}', emptyManifest());
    const css1 = one.fix.plan.renames[0]?.to as string;
    // Release 2 is applied (its copy written into the state) but never verified: no save.
    await build('a{color:blue}');
    const failed = await planHashFix(c, await scanDir(site), one.written, log);
    await applyHashFix(site, failed.fix);
    const css2 = failed.fix.plan.renames[0]?.to as string;
    const { filesDir } = hashStateOf(c);
    expect(existsSync(path.join(filesDir, css2))).toBe(true);
    // Release 3 is verified and saved: release 2's orphan copy goes, release 1's (kept) stays.
    const three = await release(c, 'a{color:green}', one.written);
    const css3 = three.fix.plan.renames[0]?.to as string;
    expect((await readdir(filesDir)).sort()).toEqual([css1, css3].sort());
  });
});
