/**
 * The packed manifest at scale: RSS per file once a manifest of 100,000 and of 1,000,000 files
 * is read (packed, and the plain form beside it), and the time to read two 1,000,000-file
 * manifests, diff them (1 % changed) and plan three providers. Each measurement runs in its
 * own process (`--expose-gc`), so one does not inherit the other's heap.
 *
 * `npm run bench -- packed` (or `node scripts/bench/packed.ts`);
 * EDGEPURGE_BENCH_SCALE=0.1 shrinks both sizes tenfold.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  readPackedManifestFile,
  writePackedManifestFile,
} from '../../src/manifest/baseline-file.ts';
import { diffPackedManifests } from '../../src/manifest/diff-packed-manifests.ts';
import { parseManifest } from '../../src/manifest/manifest.ts';
import {
  knownPaths,
  type PackedManifest,
  unpackManifest,
} from '../../src/manifest/packed-manifest.ts';
import { type PlannedProvider, planPurges } from '../../src/plan/plan-purges.ts';
import {
  changedRelease,
  generatedFiles,
  manifestOf,
} from '../../test/support/generated-manifest.ts';

const GOAL_BYTES_PER_FILE = 300;
const GOAL_DIFF_PLAN_MS = 5000;
const PROVIDERS: PlannedProvider[] = [
  { name: 'cloudflare', type: 'cloudflare', capabilities: capabilities(30, 30) },
  { name: 'fastly', type: 'fastly', capabilities: capabilities(256, 0) },
  { name: 'varnish', type: 'varnish', capabilities: capabilities(100, 1) },
];

function capabilities(urls: number, prefixes: number): PlannedProvider['capabilities'] {
  return {
    maxUrlsPerRequest: urls,
    maxPrefixesPerRequest: prefixes,
    maxTagsPerRequest: 0,
    maxHostsPerRequest: 0,
    everything: false,
    concurrency: 4,
  };
}

/** In the child: what one reading costs in RSS, or how long read + diff + plan takes. */
async function child(mode: string, files: readonly string[]): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc as () => void;
  if (mode === 'time') {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const previous = await readPackedManifestFile(files[0] as string);
    const next = await readPackedManifestFile(files[1] as string);
    const read = performance.now();
    const diff = diffPackedManifests(previous as PackedManifest, next as PackedManifest);
    const diffed = performance.now();
    const known = knownPaths(previous as PackedManifest, next as PackedManifest);
    const plan = planPurges(diff, PROVIDERS, {
      baseUrl: 'https://www.example.com',
      urls: { cleanUrls: false, basePath: '/' },
      known,
    });
    const planned = performance.now();
    const { user, system } = process.cpuUsage(cpu);
    console.log(
      JSON.stringify({
        cpuMs: (user + system) / 1000,
        readMs: read - started,
        diffMs: diffed - read,
        planMs: planned - diffed,
        changed: diff.changed.length,
        urls: plan.urls,
      }),
    );
    return;
  }
  gc();
  const before = process.memoryUsage();
  let kept: unknown;
  if (mode === 'packed') kept = await readPackedManifestFile(files[0] as string);
  else if (mode === 'plain-unpacked') {
    kept = unpackManifest((await readPackedManifestFile(files[0] as string)) as PackedManifest);
  } else kept = parseManifest(await readFile(files[0] as string, 'utf8'), 'm');
  gc();
  gc();
  const after = process.memoryUsage();
  console.log(
    JSON.stringify({
      rss: after.rss - before.rss,
      heap: after.heapUsed - before.heapUsed,
      external: after.external - before.external,
      kept: kept !== undefined,
    }),
  );
}

function inChild(
  mode: string,
  files: readonly string[],
  maxOldSpaceMb = 8192,
): Record<string, number> {
  const script = fileURLToPath(import.meta.url);
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', `--max-old-space-size=${maxOldSpaceMb}`, script, 'child', mode, ...files],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(out.trim().split('\n').at(-1) as string);
}

const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
const perFile = (bytes: number, count: number) => (bytes / count).toFixed(0).padStart(5);

export async function run(): Promise<void> {
  const scale = Number(process.env.EDGEPURGE_BENCH_SCALE ?? '1');
  const sizes = [100_000, 1_000_000].map((n) => Math.max(1000, Math.round(n * scale)));
  const dir = await mkdtemp(join(tmpdir(), 'edgepurge-bench-packed-'));
  try {
    const rss: Record<string, number[]> = { packed: [], 'plain-unpacked': [], plain: [] };
    let timing: Record<string, number> = {};
    for (const count of sizes) {
      const previousPath = join(dir, `previous-${count}.json`);
      const nextPath = join(dir, `next-${count}.json`);
      const files = generatedFiles(count);
      const started = performance.now();
      await writePackedManifestFile(previousPath, manifestOf(files));
      const writeMs = performance.now() - started;
      await writePackedManifestFile(nextPath, manifestOf(changedRelease(files)));
      const bytes = (await stat(previousPath)).size;
      console.log(
        `${count} files: manifest ${(bytes / 1e6).toFixed(0)} MB written streaming in ${writeMs.toFixed(0)} ms`,
      );
      for (const mode of Object.keys(rss)) {
        const measured = inChild(mode, [previousPath]);
        (rss[mode] as number[]).push(measured.rss as number);
        console.log(
          `  ${mode.padEnd(15)} RSS ${perFile(measured.rss as number, count)} B/file, heap ${perFile(measured.heap as number, count)} B/file, external ${perFile(measured.external as number, count)} B/file`,
        );
      }
      if (count === sizes.at(-1)) timing = inChild('time', [previousPath, nextPath]);
      await rm(previousPath);
      await rm(nextPath);
    }
    const [small, large] = sizes as [number, number];
    for (const [mode, values] of Object.entries(rss)) {
      const slope = ((values[1] as number) - (values[0] as number)) / (large - small);
      console.log(
        `${mode.padEnd(15)} RSS per file beyond the fixed cost (${small} → ${large} files): ${slope.toFixed(0)} B` +
          (mode === 'packed'
            ? `  goal < ${GOAL_BYTES_PER_FILE}: ${verdict(slope < GOAL_BYTES_PER_FILE)}`
            : ''),
      );
    }
    const diffPlan = (timing.diffMs as number) + (timing.planMs as number);
    console.log(
      `${large} files, ${timing.changed} changed: read both ${(timing.readMs as number).toFixed(0)} ms, diff ${(timing.diffMs as number).toFixed(0)} ms, plan (3 providers, ${timing.urls} URLs) ${(timing.planMs as number).toFixed(0)} ms`,
    );
    console.log(
      `diff + plan ${diffPlan.toFixed(0)} ms  goal < ${GOAL_DIFF_PLAN_MS} ms: ${verdict(diffPlan < GOAL_DIFF_PLAN_MS)}`,
    );
    const total = diffPlan + (timing.readMs as number);
    console.log(
      `read + diff + plan ${total.toFixed(0)} ms  goal < ${GOAL_DIFF_PLAN_MS} ms: ${verdict(total < GOAL_DIFF_PLAN_MS)}`,
    );
    // Wall time on a shared machine counts other processes' load; CPU time does not.
    const cpu = timing.cpuMs as number;
    console.log(
      `read + diff + plan, CPU time ${cpu.toFixed(0)} ms  goal < ${GOAL_DIFF_PLAN_MS} ms: ${verdict(cpu < GOAL_DIFF_PLAN_MS)}  (load average ${loadavg()[0]?.toFixed(1)})`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') await child(process.argv[3] as string, process.argv.slice(4));
else if (import.meta.main) await run();
