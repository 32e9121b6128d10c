/**
 * Scan benchmark: edgepurge's `scanDir` against `find | xargs sha256sum` on two generated trees
 * (20,000 files / 1 GiB, and 100,000 files of 2 KiB), against the machine's SHA-256 limit, and
 * its memory per file. `EDGEPURGE_BENCH_SCALE=0.1` shrinks both trees for a quick run.
 * Besides `scanDir` in this process, `edgepurge manifest DIR --out FILE` is timed as a process
 * (the published dist/cli.js, start-up included, as a user runs it; built first: ensure-cli.ts).
 *
 * Trees are generated once and cached under .tmp/bench/ (git-ignored). The page cache cannot be
 * dropped here, so one warm-up pass makes both contestants read from memory.
 */
import { randomFillSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { $ } from 'zx';
import { scanDir } from '../../src/manifest/scan-dir.ts';
import { CLI, ensureCli } from './ensure-cli.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE = join(REPO, '.tmp/bench');
const SCALE = Number(process.env.EDGEPURGE_BENCH_SCALE ?? '1');
const ROUNDS = 3;
const FILES_PER_DIR = 100;
const KiB = 1024;

const GOALS = {
  largeRatio: 3,
  smallRatio: 2,
  limitFraction: 0.5,
  bytesPerFile: 300,
};

interface Tree {
  readonly name: string;
  readonly dir: string;
  readonly files: number;
  readonly bytes: number;
}

interface Timing {
  readonly seconds: number;
}

export async function run(): Promise<void> {
  if (!(SCALE > 0 && SCALE <= 1)) throw new Error('EDGEPURGE_BENCH_SCALE must be in (0, 1]');
  const cores = availableParallelism();
  console.log(`scale ${SCALE}, ${cores} cores, node ${process.version}`);

  const large = ensureTree(
    'large',
    Math.round(20_000 * SCALE),
    Math.round(1024 ** 3 * SCALE),
    (i, n, total) => largeSizes(n, total)[i] as number,
  );
  const small = ensureTree(
    'small',
    Math.round(100_000 * SCALE),
    Math.round(100_000 * SCALE) * 2 * KiB,
    () => 2 * KiB,
  );

  ensureCli();

  const ratios: number[] = [];
  const cliRatios: number[] = [];
  let largeRate = 0;
  for (const tree of [large, small]) {
    console.log(`\n${tree.name} tree: ${tree.files} files, ${mb(tree.bytes)} MB (${tree.dir})`);
    // Warm-up: both contestants then read from the page cache.
    await scanDir(tree.dir);
    await sha256sum(tree.dir);
    const reference = await best(() => sha256sum(tree.dir));
    const ours = await best(() => scanOnce(tree));
    const cli = await best(() => cliOnce(tree));
    line('sha256sum', tree, reference);
    line('edgepurge', tree, ours);
    line('CLI', tree, cli);
    ratios.push(reference.seconds / ours.seconds);
    cliRatios.push(reference.seconds / cli.seconds);
    console.log(
      `  edgepurge / sha256sum: ${(reference.seconds / ours.seconds).toFixed(2)}× in process (scanDir), ` +
        `${(reference.seconds / cli.seconds).toFixed(2)}× as a process (node dist/cli.js manifest, start-up included)`,
    );
    if (tree === large) largeRate = tree.bytes / ours.seconds;
  }

  const limit = await sha256Limit(cores);
  console.log(
    `\nSHA-256 limit: ${(limit / 1e9).toFixed(2)} GB/s (${cores} threads hashing 64 MiB in memory); ` +
      `edgepurge on the large tree: ${(largeRate / 1e9).toFixed(2)} GB/s`,
  );
  const memory = await memoryPerFile(small);
  console.log(
    `memory per file, small tree: heap ${memory.heap.toFixed(0)} B after GC (the manifest itself); ` +
      `max RSS ${memory.rss.toFixed(0)} B beyond a child that only imports, ` +
      `${memory.rssGrowth.toFixed(0)} B beyond one that scanned one file (worker start-up excluded); ` +
      `${memory.rssSlope.toFixed(0)} B per extra file between a tenth of the tree and all of it; ` +
      'RSS also holds V8 young-generation and old-space headroom, which scale with allocation, not files',
  );

  const [largeRatio = 0, smallRatio = 0] = ratios;
  const [cliLargeRatio = 0, cliSmallRatio = 0] = cliRatios;
  const fraction = largeRate / limit;
  console.log('\ngoal                                        result   goal');
  goal(
    'edgepurge / sha256sum, large tree',
    `${largeRatio.toFixed(2)}×`,
    `≥${GOALS.largeRatio}×`,
    largeRatio >= GOALS.largeRatio,
  );
  goal(
    'edgepurge / sha256sum, small tree',
    `${smallRatio.toFixed(2)}×`,
    `≥${GOALS.smallRatio}×`,
    smallRatio >= GOALS.smallRatio,
  );
  goal(
    'CLI process / sha256sum, large tree',
    `${cliLargeRatio.toFixed(2)}×`,
    `≥${GOALS.largeRatio}×`,
    cliLargeRatio >= GOALS.largeRatio,
  );
  goal(
    'CLI process / sha256sum, small tree',
    `${cliSmallRatio.toFixed(2)}×`,
    `≥${GOALS.smallRatio}×`,
    cliSmallRatio >= GOALS.smallRatio,
  );
  goal(
    'fraction of the SHA-256 limit, large tree',
    fraction.toFixed(2),
    `≥${GOALS.limitFraction}`,
    fraction >= GOALS.limitFraction,
  );
  goal(
    'heap per file (manifest alive), small tree',
    `${memory.heap.toFixed(0)} B`,
    `<${GOALS.bytesPerFile} B`,
    memory.heap < GOALS.bytesPerFile,
  );
  goal(
    'max RSS per extra file (10k → 100k files)',
    `${memory.rssSlope.toFixed(0)} B`,
    `<${GOALS.bytesPerFile} B`,
    memory.rssSlope < GOALS.bytesPerFile,
  );
}

// ---- trees ---------------------------------------------------------------------------------

/** Generates the tree once; a `.complete` marker beside it says the last run finished it. */
function ensureTree(
  name: string,
  files: number,
  bytes: number,
  sizeOf: (i: number, n: number, total: number) => number,
): Tree {
  const dir = join(CACHE, `${name}-${files}-${bytes}`);
  const marker = `${dir}.complete`;
  const tree = { name, dir, files, bytes };
  if (existsSync(marker)) return tree;
  console.log(`generating ${name} tree (${files} files, ${mb(bytes)} MB) in ${dir} …`);
  rmSync(dir, { recursive: true, force: true });
  // Files are windows into one random pool: generation runs at disk speed, and every file
  // still differs from the next, which is all hashing needs.
  const pool = Buffer.allocUnsafe(64 << 20);
  for (let offset = 0; offset < pool.length; offset += 1 << 20)
    randomFillSync(pool, offset, 1 << 20);
  const extensions = ['html', 'css', 'js', 'png', 'woff2', 'json', 'svg', 'jpg'];
  let written = 0;
  let lastDir = '';
  for (let i = 0; i < files; i++) {
    const size = sizeOf(i, files, bytes);
    const sub = join(
      dir,
      `d${Math.floor(i / (FILES_PER_DIR * 100))}`,
      `d${Math.floor(i / FILES_PER_DIR) % 100}`,
    );
    if (sub !== lastDir) {
      mkdirSync(sub, { recursive: true });
      lastDir = sub;
    }
    const start = (i * 7919 * 4096) % (pool.length - size);
    writeFileSync(
      join(sub, `f${i}.${extensions[i % extensions.length]}`),
      pool.subarray(start, start + size),
    );
    written += size;
  }
  if (written !== bytes) throw new Error(`generated ${written} bytes, wanted ${bytes}`);
  writeFileSync(marker, '');
  return tree;
}

let sizesCache: number[] | undefined;

/** 4 KiB–200 KiB, skewed to small (as on real sites), adding up to exactly `total`. */
function largeSizes(n: number, total: number): number[] {
  if (sizesCache?.length === n) return sizesCache;
  const min = 4 * KiB;
  const max = 200 * KiB;
  let seed = 42;
  const random = (): number => {
    // mulberry32: fast, seeded, good enough to spread sizes
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const raw = Array.from({ length: n }, () => random() ** 3);
  const rawSum = raw.reduce((a, b) => a + b, 0);
  const spread = total - n * min;
  if (spread < 0 || spread > n * (max - min)) throw new Error('total does not fit the size range');
  const sizes = raw.map((r) => min + Math.min(max - min, Math.floor((r / rawSum) * spread)));
  let rest = total - sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; rest > 0; i = (i + 1) % n) {
    const add = Math.min(rest, max - (sizes[i] as number));
    sizes[i] = (sizes[i] as number) + add;
    rest -= add;
  }
  sizesCache = sizes;
  return sizes;
}

// ---- contestants ---------------------------------------------------------------------------

async function sha256sum(dir: string): Promise<Timing> {
  const start = performance.now();
  await $`find ${dir} -type f -print0 | xargs -0 sha256sum > /dev/null`;
  return { seconds: (performance.now() - start) / 1000 };
}

// Each sha256sum run starts a fresh process; a scan here would otherwise pay for collecting
// the previous scan's manifest. The usual way to reach gc() without --expose-gc on the command line.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

async function scanOnce(tree: Tree): Promise<Timing> {
  collectGarbage();
  const start = performance.now();
  const manifest = await scanDir(tree.dir);
  const seconds = (performance.now() - start) / 1000;
  const count = Object.keys(manifest.files).length;
  if (count !== tree.files) throw new Error(`scan found ${count} files, expected ${tree.files}`);
  return { seconds };
}

/** `edgepurge manifest DIR --out FILE` as a user runs it: a process, start-up included. */
async function cliOnce(tree: Tree): Promise<Timing> {
  const out = join(CACHE, `cli-${tree.name}.json`);
  const start = performance.now();
  await $`${process.execPath} ${CLI} manifest ${tree.dir} --out ${out} 2>/dev/null`;
  const seconds = (performance.now() - start) / 1000;
  const count = Object.keys(
    (JSON.parse(readFileSync(out, 'utf8')) as { files: object }).files,
  ).length;
  if (count !== tree.files) throw new Error(`the CLI found ${count} files, expected ${tree.files}`);
  return { seconds };
}

async function best(measure: () => Promise<Timing>): Promise<Timing> {
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < ROUNDS; i++) fastest = Math.min(fastest, (await measure()).seconds);
  return { seconds: fastest };
}

// ---- the machine's SHA-256 limit -----------------------------------------------------------

// createHash().update() over 1 MiB chunks: the path hash-worker.ts takes for large files.
const LIMIT_WORKER = `
const { parentPort } = require('node:worker_threads');
const { createHash, randomFillSync } = require('node:crypto');
const data = randomFillSync(Buffer.allocUnsafe(64 << 20));
const CHUNK = 1 << 20;
parentPort.postMessage('ready');
parentPort.once('message', (rounds) => {
  const start = performance.now();
  for (let r = 0; r < rounds; r++) {
    const hash = createHash('sha256');
    for (let o = 0; o < data.length; o += CHUNK) hash.update(data.subarray(o, o + CHUNK));
    hash.digest('hex');
  }
  parentPort.postMessage({ bytes: rounds * data.length, ms: performance.now() - start });
});
`;

/** Bytes per second with every core hashing in-memory data at once (best of ROUNDS). */
async function sha256Limit(threads: number): Promise<number> {
  let bestRate = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const workers = Array.from({ length: threads }, () => new Worker(LIMIT_WORKER, { eval: true }));
    try {
      await Promise.all(workers.map((w) => new Promise((ok) => w.once('message', ok))));
      const start = performance.now();
      const done = workers.map(
        (w) => new Promise<{ bytes: number }>((ok) => w.once('message', ok)),
      );
      for (const w of workers) w.postMessage(8);
      const results = await Promise.all(done);
      const seconds = (performance.now() - start) / 1000;
      bestRate = Math.max(bestRate, results.reduce((sum, r) => sum + r.bytes, 0) / seconds);
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  }
  return bestRate;
}

// ---- memory --------------------------------------------------------------------------------

interface MemoryReport {
  readonly maxRssBytes: number;
  readonly heapBytes: number;
  readonly files: number;
}

/** Runs this file as a child: `--baseline` only imports, `<dir>` scans it and holds the result. */
async function child(arg: string): Promise<MemoryReport> {
  const self = fileURLToPath(import.meta.url);
  const out = await $`${process.execPath} --expose-gc ${self} --memory-child ${arg}`;
  return JSON.parse(out.stdout) as MemoryReport;
}

interface MemoryResult {
  /** Heap after GC with the manifest alive, beyond the import-only child: the result itself. */
  readonly heap: number;
  /** Peak RSS beyond the import-only child: includes the worker threads' fixed cost. */
  readonly rss: number;
  /** Peak RSS beyond a child that scanned one file: what grows with the number of files. */
  readonly rssGrowth: number;
  /**
   * Peak RSS per extra file between a scan of one tenth of the tree and of all of it: the
   * marginal cost of a file, with every fixed cost (workers, V8's young generation) cancelled.
   */
  readonly rssSlope: number;
}

async function memoryPerFile(tree: Tree): Promise<MemoryResult> {
  const oneFile = join(CACHE, 'one-file');
  mkdirSync(oneFile, { recursive: true });
  writeFileSync(join(oneFile, 'index.html'), '<h1>one</h1>');
  let heap = Number.POSITIVE_INFINITY;
  let rss = Number.POSITIVE_INFINITY;
  let rssGrowth = Number.POSITIVE_INFINITY;
  let rssSlope = Number.POSITIVE_INFINITY;
  // The small tree's first top-level folder holds a tenth of its files.
  const part = join(tree.dir, 'd0');
  for (let i = 0; i < ROUNDS; i++) {
    const base = await child('--baseline');
    const one = await child(oneFile);
    const tenth = await child(part);
    const scan = await child(tree.dir);
    heap = Math.min(heap, (scan.heapBytes - base.heapBytes) / scan.files);
    rss = Math.min(rss, (scan.maxRssBytes - base.maxRssBytes) / scan.files);
    rssGrowth = Math.min(rssGrowth, (scan.maxRssBytes - one.maxRssBytes) / scan.files);
    rssSlope = Math.min(
      rssSlope,
      (scan.maxRssBytes - tenth.maxRssBytes) / (scan.files - tenth.files),
    );
  }
  return { heap, rss, rssGrowth, rssSlope };
}

async function memoryChild(arg: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  let files = 0;
  if (arg !== '--baseline') {
    const manifest = await scanDir(arg);
    files = Object.keys(manifest.files).length;
    // Held on a global so the manifest is alive (and counted) when the heap is measured.
    (globalThis as { manifest?: unknown }).manifest = manifest;
  }
  gc();
  gc();
  const report: MemoryReport = {
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    heapBytes: process.memoryUsage().heapUsed,
    files,
  };
  process.stdout.write(JSON.stringify(report));
}

// ---- output --------------------------------------------------------------------------------

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function line(label: string, tree: Tree, timing: Timing): void {
  const rate = tree.bytes / timing.seconds / 1e6;
  const filesPerSecond = tree.files / timing.seconds;
  console.log(
    `  ${label.padEnd(10)} ${timing.seconds.toFixed(3).padStart(7)} s ${rate.toFixed(0).padStart(6)} MB/s ${filesPerSecond.toFixed(0).padStart(8)} files/s`,
  );
}

function goal(label: string, result: string, target: string, pass: boolean): void {
  console.log(
    `${label.padEnd(43)} ${result.padStart(7)}  ${target.padEnd(7)} ${pass ? 'PASS' : 'MISS'}`,
  );
}

if (import.meta.main && process.argv[2] === '--memory-child') {
  await memoryChild(process.argv[3] as string);
}
