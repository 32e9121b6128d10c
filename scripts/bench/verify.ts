/**
 * Verify benchmark (issue 4): edgepurge's whole verification of 10,000 URLs through a real
 * Varnish (examples/varnish/edgepurge.vcl in front of nginx, the e2e stack), against the same
 * URLs fetched by one `curl -Z --parallel-max 16 -K list` process and by `xargs -P 16 -n 1 curl`
 * (a process per URL); then the peak RSS of a child verifying small files against one verifying
 * 4 MiB files, to show bodies are hashed as they stream. `EDGEPURGE_BENCH_SCALE=0.1` shrinks
 * both file sets for a quick run.
 *
 * The site is generated once and cached under .tmp/bench/ (git-ignored). One curl pass warms the
 * edge first, so every timed contestant reads the small files from Varnish's cache.
 */
import { randomFillSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { $ } from 'zx';
import { startSystemStack } from '../../src/demo/system-stack.ts';
import { silentLogger } from '../../src/log.ts';
import { diffManifests } from '../../src/manifest/diff-manifests.ts';
import { emptyManifest } from '../../src/manifest/manifest.ts';
import { scanDir } from '../../src/manifest/scan-dir.ts';
import { parseConnectTo } from '../../src/verify/connect-to.ts';
import { createHttpClient, type HttpClient } from '../../src/verify/http-client.ts';
import type { VerifyReport } from '../../src/verify/report-types.ts';
import { type VerifyTarget, verifyTargets } from '../../src/verify/targets.ts';
import { verifyRelease } from '../../src/verify/verify-release.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE = join(REPO, '.tmp/bench');
const SCALE = Number(process.env.EDGEPURGE_BENCH_SCALE ?? '1');
const ROUNDS = 3;
const HOST = 'www.example.com';
const SITE = `http://${HOST}`;
/** curl's --parallel-max, xargs -P, and edgepurge's concurrency and pool size alike. */
const PARALLEL = 16;
/** How long verifyRelease polls a stale URL; a stale URL here means a broken setup. */
const TIMEOUT_MS = 30_000;
/** URLs the per-URL curl loop is timed on (10 ms or so each on two cores, three rounds). */
const PER_URL_SAMPLE = 2_000;
const KiB = 1024;
const MiB = 1024 * KiB;
const LARGE_SIZE = 4 * MiB;
const EXTENSIONS = ['txt', 'js', 'css'];

const GOALS = {
  /** edgepurge's whole verification / one parallel curl pass. */
  curlParallelRatio: 3,
  /** The per-URL curl loop / edgepurge's verification. */
  perUrlSpeedup: 20,
  /**
   * Peak RSS growth verifying the 4 MiB files beyond verifying as many small ones. Holding the
   * 16 bodies in flight whole would take 64 MiB; a quarter of that is left to GC slack.
   */
  flatBytes: 16 * MiB,
};

/**
 * The same growth measured before issue 11, with undici's client: every socket read a fresh
 * 64 KiB buffer, left to the garbage collector, which V8 runs after ~64 MB of them.
 */
const BEFORE = '63–92 MB (undici)';

interface FileSet {
  readonly name: 'small' | 'large';
  readonly dir: string;
  readonly targets: VerifyTarget[];
  readonly bytes: number;
}

export async function run(): Promise<void> {
  if (!(SCALE > 0 && SCALE <= 1)) throw new Error('EDGEPURGE_BENCH_SCALE must be in (0, 1]');
  const smallFiles = Math.round(10_000 * SCALE);
  const largeFiles = Math.max(1, Math.round(200 * SCALE));
  const curlVersion = (await $`curl --version`).stdout.split('\n')[0] ?? '';
  // -Z (--parallel) arrived in curl 7.66.0.
  const [major = 0, minor = 0] = (/^curl (\d+)\.(\d+)/.exec(curlVersion) ?? [])
    .slice(1)
    .map(Number);
  if (major < 7 || (major === 7 && minor < 66)) {
    throw new Error(`curl ${major}.${minor} has no -Z (--parallel); it needs 7.66.0 or later`);
  }
  console.log(
    `scale ${SCALE}, ${availableParallelism()} cores, node ${process.version}, ` +
      `${curlVersion.split(' ').slice(0, 2).join(' ')}, parallelism ${PARALLEL}`,
  );

  const root = ensureSite(smallFiles, largeFiles);
  const small = await fileSet(root, 'small');
  const large = await fileSet(root, 'large');
  if (small.targets.length !== smallFiles || large.targets.length !== largeFiles) {
    throw new Error(
      `scanned ${small.targets.length} + ${large.targets.length} files, expected ${smallFiles} + ${largeFiles}`,
    );
  }
  const work = await mkdtemp(join(tmpdir(), 'edgepurge-bench-verify-'));
  const stack = await startSystemStack({ root });
  try {
    const rule = `${HOST}:80:127.0.0.1:${stack.edgePort}`;
    console.log(
      `site ${root}: ${smallFiles} small files (${mb(small.bytes)} MB, 1–4 KiB) and ` +
        `${largeFiles} of 4 MiB; nginx ${stack.originUrl} behind Varnish ${stack.edgeUrl}, ` +
        `reached as ${SITE} with --connect-to ${rule}`,
    );
    const urls = small.targets.map((target) => target.url);
    const list = join(work, 'curl.conf');
    const plain = join(work, 'urls.txt');
    await writeFile(list, urls.map((url) => `url = "${url}"\noutput = "/dev/null"\n`).join(''));
    // A process per URL costs the same for every URL: a sample, timed and scaled up, says it.
    const sample = urls.slice(0, PER_URL_SAMPLE);
    await writeFile(plain, `${sample.join('\n')}\n`);

    // Memory first: the large files go through Varnish before the small ones fill its store.
    const memory = await memoryGrowth(work, stack.edgePort, small, large);

    // Warm-up: every small file into Varnish's cache, and proof curl gets 200 for each.
    const codes = (
      await $`curl -s --no-progress-meter -Z --parallel-max ${PARALLEL} --connect-to ${rule} -K ${list} -w ${'%{http_code}\n'}`
    ).stdout
      .trim()
      .split('\n');
    const ok = codes.filter((code) => code === '200').length;
    if (ok !== urls.length) throw new Error(`warm-up: ${ok} of ${urls.length} URLs answered 200`);

    // An untimed pass that counts the requests edgepurge sends.
    const counted = await verifyOnce(rule, small.targets, true);
    const hits = cacheHits(counted.report);

    const parallel: number[] = [];
    const ours: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      parallel.push(
        await timed(
          () =>
            $`curl -s --no-progress-meter -Z --parallel-max ${PARALLEL} --connect-to ${rule} -K ${list}`,
        ),
      );
      ours.push((await verifyOnce(rule, small.targets, false)).seconds);
    }
    const perUrl: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      perUrl.push(
        await timed(
          () => $`xargs -P ${PARALLEL} -n 1 curl -s -o /dev/null --connect-to ${rule} < ${plain}`,
        ),
      );
    }
    const curlParallel = Math.min(...parallel);
    const edgepurge = Math.min(...ours);
    const curlPerUrl = (Math.min(...perUrl) * urls.length) / sample.length;

    console.log(`\n${urls.length} URLs, warm edge (best of ${ROUNDS})            time      URLs/s`);
    timing(`curl -Z --parallel-max ${PARALLEL} -K list`, curlParallel, urls.length);
    timing('edgepurge verifyRelease (every check)', edgepurge, urls.length);
    timing(`xargs -P ${PARALLEL} -n 1 curl (a process per URL)`, curlPerUrl, urls.length);
    if (sample.length < urls.length) {
      console.log(
        `  (xargs timed on the first ${sample.length} URLs, ${Math.min(...perUrl).toFixed(3)} s, ` +
          `and scaled by ${urls.length}/${sample.length})`,
      );
    }
    console.log(
      `edgepurge sent ${counted.requests} requests for ${urls.length} URLs ` +
        `(${(counted.requests / urls.length).toFixed(2)} per URL, counted at its client); ` +
        `Varnish answered ${hits} of ${urls.length} from cache (X-Cache: HIT); ` +
        `all ${counted.report.checked} URLs fresh: ${counted.report.ok}`,
    );

    console.log(
      `\npeak RSS of a child verifying through Varnish (best of ${ROUNDS}; growth beyond a child ` +
        `that verified one small file, ${mb(memory.oneRss)} MB)`,
    );
    console.log(
      `  ${small.targets.length} small files (1–4 KiB)   ${mb(memory.smallAll).padStart(7)} MB`,
    );
    console.log(
      `  ${memory.count} small files (1–4 KiB)     ${mb(memory.smallSample).padStart(7)} MB`,
    );
    console.log(
      `  ${memory.count} large files (4 MiB)       ${mb(memory.large).padStart(7)} MB` +
        `  (${mb(memory.count * LARGE_SIZE)} MB of bodies, most of them misses: Varnish's store ` +
        `is 64 MB; ${memory.largePolled} looks over ${ROUNDS} rounds polled again after Varnish cut a miss short)`,
    );
    console.log(
      `peak live memory (heap + external right after a full GC, every 50 ms; best of ${ROUNDS}): ` +
        `${memory.count} × 1–4 KiB ${mb(memory.liveSample)} MB, ${memory.count} × 4 MiB ` +
        `${mb(memory.liveLarge)} MB, ${mb(memory.liveLarge - memory.liveSample)} MB more while ` +
        `${PARALLEL} bodies stream (${mb(PARALLEL * LARGE_SIZE)} MB if each were held whole); ` +
        'each socket reads into one buffer of its own, hashed in place (src/verify/http1-pool.ts)',
    );

    const ratio = edgepurge / curlParallel;
    const speedup = curlPerUrl / edgepurge;
    const extra = memory.large - memory.smallSample;
    console.log(
      `peak RSS growth, ${memory.count} × 4 MiB beyond as many small files: before ${BEFORE}, ` +
        `after ${mb(extra)} MB (goal <${mb(GOALS.flatBytes)} MB: ${extra < GOALS.flatBytes ? 'PASS' : 'MISS'})`,
    );
    console.log('\ngoal                                                 result   goal');
    goal(
      'edgepurge / curl -Z (one process)',
      `${ratio.toFixed(2)}×`,
      `≤${GOALS.curlParallelRatio}×`,
      ratio <= GOALS.curlParallelRatio,
    );
    goal(
      'xargs curl (a process per URL) / edgepurge',
      `${speedup.toFixed(1)}×`,
      `≥${GOALS.perUrlSpeedup}×`,
      speedup >= GOALS.perUrlSpeedup,
    );
    goal(
      `peak RSS growth, ${memory.count} × 4 MiB beyond ${memory.count} × 1–4 KiB`,
      `${mb(extra)} MB`,
      `<${mb(GOALS.flatBytes)} MB`,
      extra < GOALS.flatBytes,
    );
  } finally {
    await stack.stop();
    await rm(work, { recursive: true, force: true });
  }
}

// ---- the site ------------------------------------------------------------------------------

/**
 * `small/` (1–4 KiB text, 100 to a directory, two levels deep) and `large/` (4 MiB each), under
 * one root nginx serves. Generated once; a `.complete` marker says the last run finished it.
 */
function ensureSite(smallFiles: number, largeFiles: number): string {
  const root = join(CACHE, `verify-site-${smallFiles}-${largeFiles}`);
  const marker = `${root}.complete`;
  if (existsSync(marker)) return root;
  console.log(
    `generating the site (${smallFiles} small files, ${largeFiles} of 4 MiB) in ${root} …`,
  );
  rmSync(root, { recursive: true, force: true });
  // Files are windows into one random pool: every file differs from the next, which is all
  // hashing needs. Small files are text (base64 of the pool), as .txt/.js/.css would be.
  const pool = Buffer.allocUnsafe(64 * MiB);
  for (let offset = 0; offset < pool.length; offset += MiB) randomFillSync(pool, offset, MiB);
  const text = Buffer.from(pool.subarray(0, MiB).toString('base64'));
  for (let i = 0; i < smallFiles; i++) {
    const dir = join(root, 'small', `d${Math.floor(i / 1000)}`, `d${Math.floor(i / 100) % 10}`);
    if (i % 100 === 0) mkdirSync(dir, { recursive: true });
    const size = KiB + ((i * 7919) % (3 * KiB + 1));
    const start = (i * 104_729) % (text.length - size);
    writeFileSync(join(dir, `f${i}.${EXTENSIONS[i % 3]}`), text.subarray(start, start + size));
  }
  for (let i = 0; i < largeFiles; i++) {
    const dir = join(root, 'large', `d${Math.floor(i / 50)}`);
    if (i % 50 === 0) mkdirSync(dir, { recursive: true });
    const start = (i * 7919 * 4096) % (pool.length - LARGE_SIZE);
    writeFileSync(
      join(dir, `f${i}.${EXTENSIONS[i % 3]}`),
      pool.subarray(start, start + LARGE_SIZE),
    );
  }
  writeFileSync(marker, '');
  return root;
}

/** Scans one set and turns every file into a target, as a first deploy (nothing before) would. */
async function fileSet(root: string, name: 'small' | 'large'): Promise<FileSet> {
  const dir = join(root, name);
  const manifest = await scanDir(dir);
  const diff = diffManifests(emptyManifest(), manifest);
  const targets = verifyTargets(diff, manifest, SITE, { cleanUrls: false, basePath: `/${name}/` });
  const bytes = Object.values(manifest.files).reduce((sum, entry) => sum + entry.size, 0);
  return { name, dir, targets, bytes };
}

// ---- contestants ---------------------------------------------------------------------------

// Each curl run starts a fresh process; a run here would otherwise pay for collecting the
// previous run's report. The usual way to reach gc() without --expose-gc on the command line.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

async function timed(command: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await command();
  return (performance.now() - start) / 1000;
}

/**
 * One whole verification on a fresh client (connections opened and closed inside the timing, as
 * curl does). `count` wraps the client to count requests; the timed runs go without it.
 */
async function verifyOnce(
  rule: string,
  targets: readonly VerifyTarget[],
  count: boolean,
): Promise<{ seconds: number; requests: number; report: VerifyReport }> {
  collectGarbage();
  let requests = 0;
  const start = performance.now();
  const pooled = createHttpClient({
    connectTo: parseConnectTo([rule]),
    connections: PARALLEL,
    timeoutMs: TIMEOUT_MS,
  });
  const client: HttpClient = count
    ? {
        probe: (url, init) => {
          requests++;
          return pooled.probe(url, init);
        },
        close: () => pooled.close(),
      }
    : pooled;
  let report: VerifyReport;
  try {
    report = await verifyRelease(client, targets, new Map(), {
      timeoutMs: TIMEOUT_MS,
      concurrency: PARALLEL,
      signal: new AbortController().signal,
      log: silentLogger,
      policy: [],
    });
  } finally {
    await client.close();
  }
  const seconds = (performance.now() - start) / 1000;
  if (!report.ok || report.checked !== targets.length) {
    const first = report.stale[0];
    throw new Error(
      `verification found ${report.stale.length} of ${report.checked} URLs stale` +
        (first === undefined ? '' : `, first ${first.url}: ${first.reason}`),
    );
  }
  return { seconds, requests, report };
}

function cacheHits(report: VerifyReport): number {
  return report.urls.filter((url) => url.cache['x-cache'] === 'HIT').length;
}

// ---- memory --------------------------------------------------------------------------------

interface MemoryReport {
  readonly maxRssBytes: number;
  readonly checked: number;
  /** Requests of the first look at each URL plus re-looks at stale ones. */
  readonly attempts: number;
  readonly stale: number;
  readonly firstStale?: string;
  /** Heap and external memory right after a full GC, at most over the run (`--live` only). */
  readonly peakLiveBytes: number;
}

interface Peak {
  /** The lowest peak RSS over ROUNDS children. */
  readonly rss: number;
  /** The lowest peak live memory over ROUNDS children (`live` only). */
  readonly live: number;
  /** Looks beyond one per URL, over all rounds: URLs found stale and polled again. */
  readonly polled: number;
}

interface MemoryResult {
  /** Files in the same-count comparison: the large set's, and as many small ones. */
  readonly count: number;
  /** Peak RSS of a child that verified one small file. */
  readonly oneRss: number;
  /** Peak RSS growth beyond that child, per set. */
  readonly smallAll: number;
  readonly smallSample: number;
  readonly large: number;
  readonly largePolled: number;
  /** Peak live memory (after full GCs) verifying the small sample and the large set. */
  readonly liveSample: number;
  readonly liveLarge: number;
}

/** Peak RSS of children verifying the targets in `file` through the edge on `port`. */
async function peakRss(port: number, file: string, expected: number, live = false): Promise<Peak> {
  const self = fileURLToPath(import.meta.url);
  const flags = live ? ['--expose-gc'] : [];
  const mode = live ? ['--live'] : [];
  let rss = Number.POSITIVE_INFINITY;
  let liveBytes = Number.POSITIVE_INFINITY;
  let polled = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const out =
      await $`${process.execPath} ${flags} ${self} --memory-child ${port} ${file} ${mode}`;
    const report = JSON.parse(out.stdout) as MemoryReport;
    if (report.stale > 0 || report.checked !== expected) {
      throw new Error(
        `a memory child found ${report.stale} of ${expected} URLs stale` +
          (report.firstStale === undefined ? '' : `, first: ${report.firstStale}`),
      );
    }
    rss = Math.min(rss, report.maxRssBytes);
    liveBytes = Math.min(liveBytes, report.peakLiveBytes);
    polled += report.attempts - report.checked;
  }
  return { rss, live: liveBytes, polled };
}

async function memoryGrowth(
  work: string,
  port: number,
  small: FileSet,
  large: FileSet,
): Promise<MemoryResult> {
  const count = large.targets.length;
  const file = async (name: string, targets: readonly VerifyTarget[]) => {
    const path = join(work, `targets-${name}.json`);
    await writeFile(path, JSON.stringify(targets));
    return path;
  };
  const oneFile = await file('one', small.targets.slice(0, 1));
  const largeFile = await file('large', large.targets);
  const sampleFile = await file('sample', small.targets.slice(0, count));
  const allFile = await file('all', small.targets);
  // The large set first: once Varnish's 64 MB store (start-varnish.ts) holds thousands of small
  // objects, a 4 MiB miss cannot free room within nuke_limit (50 objects) and the fetch fails.
  const largePeak = await peakRss(port, largeFile, count);
  // Separate children that collect garbage every 50 ms and note what survives: what is held.
  const liveLarge = await peakRss(port, largeFile, count, true);
  const liveSample = await peakRss(port, sampleFile, count, true);
  const one = await peakRss(port, oneFile, 1);
  const sample = await peakRss(port, sampleFile, count);
  const all = await peakRss(port, allFile, small.targets.length);
  return {
    count,
    oneRss: one.rss,
    smallAll: all.rss - one.rss,
    smallSample: sample.rss - one.rss,
    large: largePeak.rss - one.rss,
    largePolled: largePeak.polled,
    liveSample: liveSample.live,
    liveLarge: liveLarge.live,
  };
}

async function memoryChild(port: string, file: string, live: boolean): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (live && gc === undefined) throw new Error('--live needs --expose-gc');
  let peakLiveBytes = 0;
  const sampleLive = () => {
    gc?.();
    const usage = process.memoryUsage();
    peakLiveBytes = Math.max(peakLiveBytes, usage.heapUsed + usage.external);
  };
  const sampler = live ? setInterval(sampleLive, 50) : undefined;
  const targets = JSON.parse(readFileSync(file, 'utf8')) as VerifyTarget[];
  const client = createHttpClient({
    connectTo: parseConnectTo([`${HOST}:80:127.0.0.1:${port}`]),
    connections: PARALLEL,
    timeoutMs: TIMEOUT_MS,
  });
  let report: VerifyReport;
  try {
    report = await verifyRelease(client, targets, new Map(), {
      timeoutMs: TIMEOUT_MS,
      concurrency: PARALLEL,
      signal: new AbortController().signal,
      log: silentLogger,
      policy: [],
    });
  } finally {
    clearInterval(sampler);
    await client.close();
  }
  const first = report.stale[0];
  const result: MemoryReport = {
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    checked: report.checked,
    attempts: report.urls.reduce((sum, url) => sum + url.attempts, 0),
    stale: report.stale.length,
    ...(first === undefined ? {} : { firstStale: `${first.url}: ${first.reason}` }),
    peakLiveBytes,
  };
  process.stdout.write(JSON.stringify(result));
}

// ---- output --------------------------------------------------------------------------------

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function timing(label: string, seconds: number, urls: number): void {
  console.log(
    `  ${label.padEnd(50)} ${seconds.toFixed(3).padStart(7)} s ${(urls / seconds).toFixed(0).padStart(7)}`,
  );
}

function goal(label: string, result: string, target: string, pass: boolean): void {
  console.log(
    `${label.padEnd(52)} ${result.padStart(8)}  ${target.padEnd(9)} ${pass ? 'PASS' : 'MISS'}`,
  );
}

if (import.meta.main && process.argv[2] === '--memory-child') {
  await memoryChild(
    process.argv[3] as string,
    process.argv[4] as string,
    process.argv[5] === '--live',
  );
}
