/**
 * Scale benchmark (issue 11): the CLI's stages as processes (`node bin/edgepurge.js`, Node 24
 * type stripping, start-up included) on a generated tree of small files nested 4 deep,
 * 1,000,000 by default (`EDGEPURGE_BENCH_SCALE=0.1` → 100,000), timing wall clock and peak RSS
 * (`/usr/bin/time`) per stage:
 *
 *   manifest   scan the tree into a manifest file
 *   diff       that manifest against a baseline with 1 % of the files changed
 *   plan ×3    `plan` against that baseline for a Varnish, a Cloudflare and a Fastly config
 *              (plan scans the tree itself, then diffs and plans; it sends nothing)
 *   sha256sum  `find | xargs sha256sum` on the same tree, the yardstick for the scan
 *   verify     TODO: `verify --shard 1/20` of the changed URLs through real Varnish, opt-in
 *              (EDGEPURGE_BENCH_SCALE_VERIFY=1) until `verify --shard` has settled
 *
 * Every stage runs on three trees: one file (the fixed cost: start-up, imports), a tenth of the
 * tree (its first top-level folder), and the whole tree; per-file figures are the growth beyond
 * the one-file run, divided by the files. Growth is linear when the per-file figures of the
 * tenth and of the whole are within 15 % of each other.
 *
 * The tree is generated once and kept under .tmp/bench/ (git-ignored) with a `.complete` marker;
 * the manifests, baselines and configs of a run go to a temporary folder.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE = join(REPO, '.tmp/bench');
const CLI = join(REPO, 'bin/edgepurge.js');
const SCALE = Number(process.env.EDGEPURGE_BENCH_SCALE ?? '1');
const FULL = 1_000_000;
const FILES_PER_DIR = 100;
const BASE_URL = 'http://www.example.com';
/** One file in a hundred differs from the baseline. */
const CHANGED_EVERY = 100;
const EXTENSIONS = ['html', 'css', 'js', 'txt', 'svg', 'json'];
/** Runs of the one-file tree, the best of which is the fixed cost. */
const FIXED_ROUNDS = 3;

const GOALS = {
  /** Per-file time and RSS of the tenth and of the whole tree within this of each other. */
  linearTolerance: 0.15,
  /** Peak RSS per file beyond the one-file run, manifest / diff / plan. */
  bytesPerFile: 300,
  /** `find | xargs sha256sum` / `edgepurge manifest`, small files, process with start-up. */
  scanRatio: 2,
  /** diff + plan (one provider) of 1,000,000 files, seconds. */
  diffPlanSeconds: 5,
};

const PROVIDERS = {
  varnish: { type: 'varnish', endpoints: ['http://127.0.0.1:9'] },
  cloudflare: { type: 'cloudflare', zoneId: '0123456789abcdef0123456789abcdef' },
  fastly: { type: 'fastly', serviceId: 'SERVICE', soft: true },
} as const;
type ProviderName = keyof typeof PROVIDERS;
/** Tokens the provider configs read; plan checks they are there and never sends them. */
const TOKENS = {
  CLOUDFLARE_API_TOKEN: 'cf-bench-token-0123456789',
  FASTLY_API_TOKEN: 'fastly-bench-0123456789',
};

interface Tree {
  readonly label: string;
  readonly dir: string;
  readonly files: number;
}

interface Run {
  readonly seconds: number;
  /** Peak RSS of the process, bytes (`/usr/bin/time` %M). */
  readonly rss: number;
}

type Stage = 'manifest' | 'diff' | `plan ${ProviderName}` | 'sha256sum';
const STAGES: readonly Stage[] = [
  'manifest',
  'diff',
  'plan varnish',
  'plan cloudflare',
  'plan fastly',
  'sha256sum',
];

export async function run(): Promise<void> {
  if (!(SCALE > 0 && SCALE <= 1)) throw new Error('EDGEPURGE_BENCH_SCALE must be in (0, 1]');
  if (!existsSync('/usr/bin/time'))
    throw new Error('the scale bench needs /usr/bin/time (GNU time)');
  const files = Math.max(100, Math.round(FULL * SCALE));
  console.log(
    `scale ${SCALE}: ${files} files, ${availableParallelism()} cores, node ${process.version}, ` +
      `load average ${loadavg()
        .map((load) => load.toFixed(2))
        .join(' ')}`,
  );
  const whole = ensureTree(files);
  const trees: Tree[] = [
    ensureOneFileTree(),
    { label: 'tenth', dir: join(whole.dir, 'd0'), files: Math.ceil(files / 10) },
    whole,
  ];
  const work = await mkdtemp(join(tmpdir(), 'edgepurge-bench-scale-'));
  try {
    const results = new Map<string, Map<Stage, Run>>();
    for (const tree of trees) {
      console.log(`\n${tree.label}: ${tree.files} files (${tree.dir})`);
      // The fixed cost is small and noisy: the best of a few runs of the one-file tree.
      const rounds = tree.files === 1 ? FIXED_ROUNDS : 1;
      let runs = await stagesOn(tree, join(work, tree.label), rounds === 1);
      for (let round = 1; round < rounds; round++) {
        runs = fastest(runs, await stagesOn(tree, join(work, tree.label), round === rounds - 1));
      }
      results.set(tree.label, runs);
    }
    report(trees, results);
    await verifyShardStage(whole, work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// ---- the tree ------------------------------------------------------------------------------

/**
 * `files` small text files (100–1,100 bytes), 100 to a folder, 4 folders deep:
 * `d<tenth>/d<a>/d<b>/d<c>/f<i>.<ext>`, so `d0/` alone is the first tenth of the tree.
 */
function ensureTree(files: number): Tree {
  const dir = join(CACHE, `scale-${files}`);
  const marker = `${dir}.complete`;
  const tree = { label: 'whole', dir, files };
  if (existsSync(marker)) return tree;
  console.log(`generating ${files} files in ${dir} …`);
  const start = performance.now();
  rmSync(dir, { recursive: true, force: true });
  // Every file a different window into one text: enough for hashing, fast to write.
  const text = Buffer.from(
    Array.from({ length: 4096 }, (_, i) => ((i * 2_654_435_761) >>> 0).toString(36)).join(' '),
  );
  const tenth = Math.ceil(files / 10);
  let lastDir = '';
  for (let i = 0; i < files; i++) {
    const top = Math.floor(i / tenth);
    const leaf = Math.floor((i % tenth) / FILES_PER_DIR);
    const sub = join(
      dir,
      `d${top}`,
      `d${Math.floor(leaf / 100)}`,
      `d${Math.floor(leaf / 10) % 10}`,
      `d${leaf % 10}`,
    );
    if (sub !== lastDir) {
      mkdirSync(sub, { recursive: true });
      lastDir = sub;
    }
    const size = 100 + ((i * 7919) % 1001);
    const from = (i * 104_729) % (text.length - size);
    writeFileSync(
      join(sub, `f${i}.${EXTENSIONS[i % EXTENSIONS.length]}`),
      text.subarray(from, from + size),
    );
  }
  writeFileSync(marker, '');
  console.log(`  generated in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return tree;
}

function ensureOneFileTree(): Tree {
  const dir = join(CACHE, 'scale-1');
  mkdirSync(join(dir, 'd0/d0/d0/d0'), { recursive: true });
  writeFileSync(join(dir, 'd0/d0/d0/d0/f0.html'), '<!doctype html><title>one</title>\n');
  return { label: 'one file', dir, files: 1 };
}

// ---- the stages ----------------------------------------------------------------------------

/**
 * Every stage on `tree`, each printed as it ends when `print` (the last round). A stage that
 * fails is printed and counted as not measured (NaN, every goal it feeds a MISS): the stages
 * after it still run, so one broken command does not lose the rest of an hour-long run.
 */
async function stagesOn(tree: Tree, work: string, print: boolean): Promise<Map<Stage, Run>> {
  mkdirSync(work, { recursive: true });
  const runs = new Map<Stage, Run>();
  const measure = async (stage: Stage, command: () => Promise<Run>): Promise<void> => {
    let result: Run;
    try {
      result = await command();
    } catch (error) {
      result = { seconds: Number.NaN, rss: Number.NaN };
      console.log(
        `  ${stage.padEnd(16)} FAILED: ${(error as Error).message.split('\n').slice(0, 4).join(' | ')}`,
      );
    }
    runs.set(stage, result);
    if (print && !Number.isNaN(result.seconds)) {
      console.log(
        `  ${stage.padEnd(16)} ${result.seconds.toFixed(2).padStart(8)} s ${mb(result.rss).padStart(8)} MB peak RSS`,
      );
    }
  };
  // Warm-up: the tree in the page cache for every contestant alike (sha256sum reads it all).
  await timedProcess('bash', [
    '-c',
    'find "$0" -type f -print0 | xargs -0 cat > /dev/null',
    tree.dir,
  ]);

  const manifest = join(work, 'manifest.json');
  await measure('manifest', () => edgepurge(['manifest', tree.dir, '--out', manifest]));

  const baseline = join(work, 'baseline.json');
  const changed = await writeBaseline(manifest, baseline);
  if (changed === 0 && tree.files >= CHANGED_EVERY) {
    throw new Error(`no sha256 found to change in ${manifest}`);
  }
  await measure('diff', () => edgepurge(['diff', baseline, manifest]));

  for (const name of Object.keys(PROVIDERS) as ProviderName[]) {
    const config = join(work, `${name}.config.json`);
    await writeFile(
      config,
      JSON.stringify({
        dir: tree.dir,
        baseUrl: BASE_URL,
        baseline,
        fix: 'touch',
        providers: [PROVIDERS[name]],
      }),
    );
    await measure(`plan ${name}`, () =>
      edgepurge(['plan', '--config', config, '--out', join(work, `${name}.plan.json`)]),
    );
  }

  await measure('sha256sum', () =>
    timedProcess('bash', [
      '-c',
      'find "$0" -type f -print0 | xargs -0 sha256sum > /dev/null',
      tree.dir,
    ]),
  );
  return runs;
}

/**
 * The baseline: the manifest with every 100th file's sha256 changed (its first hex digit),
 * as the last release would have recorded a file since edited. A text substitution, so the
 * bench process never parses a 200 MB manifest. Returns how many files were changed.
 */
async function writeBaseline(manifest: string, baseline: string): Promise<number> {
  const text = await readFile(manifest, 'utf8');
  let seen = 0;
  let changed = 0;
  const edited = text.replace(
    /("sha256":\s*")([0-9a-f])/g,
    (match, head: string, digit: string) => {
      if (seen++ % CHANGED_EVERY !== 0) return match;
      changed++;
      return `${head}${digit === '0' ? '1' : '0'}`;
    },
  );
  await writeFile(baseline, edited);
  return changed;
}

function edgepurge(args: readonly string[]): Promise<Run> {
  return timedProcess(process.execPath, [CLI, ...args]);
}

/**
 * Runs a command under /usr/bin/time: wall clock (measured here, from spawn to exit: start-up
 * included) and peak RSS (%M, KiB). Its stdout is discarded; a failure throws with its stderr.
 */
async function timedProcess(command: string, args: readonly string[]): Promise<Run> {
  const stats = join(tmpdir(), `edgepurge-bench-time-${process.pid}-${Math.random()}.txt`);
  const start = performance.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>(
    (done, fail) => {
      const child = spawn('/usr/bin/time', ['-f', '%M', '-o', stats, command, ...args], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, ...TOKENS, NO_COLOR: '1' },
      });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        err = (err + chunk).slice(-4000);
      });
      child.on('error', fail);
      child.on('close', (exit) => done({ code: exit, stderr: err }));
    },
  );
  const seconds = (performance.now() - start) / 1000;
  const kib = Number(readFileSync(stats, 'utf8').trim().split('\n').pop());
  rmSync(stats, { force: true });
  if (code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${code}:\n${stderr}`);
  }
  return { seconds, rss: kib * 1024 };
}

/** Per stage, the lower time and the lower peak RSS of two runs. */
function fastest(a: Map<Stage, Run>, b: Map<Stage, Run>): Map<Stage, Run> {
  const out = new Map<Stage, Run>();
  for (const [stage, run] of a) {
    const other = b.get(stage) ?? run;
    out.set(stage, {
      seconds: Math.min(run.seconds, other.seconds),
      rss: Math.min(run.rss, other.rss),
    });
  }
  return out;
}

// ---- the report ----------------------------------------------------------------------------

function report(trees: readonly Tree[], results: Map<string, Map<Stage, Run>>): void {
  const [one, tenth, whole] = trees as [Tree, Tree, Tree];
  const get = (tree: Tree, stage: Stage) => results.get(tree.label)?.get(stage) as Run;
  const perFile = (tree: Tree, stage: Stage, key: keyof Run) =>
    (get(tree, stage)[key] - get(one, stage)[key]) / tree.files;

  console.log(
    `\nper file, beyond the one-file run (${tenth.files} files → ${whole.files} files)` +
      '            time µs/file              peak RSS B/file',
  );
  const linear: boolean[] = [];
  for (const stage of STAGES) {
    const t1 = perFile(tenth, stage, 'seconds') * 1e6;
    const t2 = perFile(whole, stage, 'seconds') * 1e6;
    const r1 = perFile(tenth, stage, 'rss');
    const r2 = perFile(whole, stage, 'rss');
    const timeLinear = within(t1, t2);
    const rssLinear = stage === 'sha256sum' || within(r1, r2);
    linear.push(timeLinear, rssLinear);
    console.log(
      `  ${stage.padEnd(16)} fixed ${get(one, stage).seconds.toFixed(2).padStart(5)} s ` +
        `${mb(get(one, stage).rss).padStart(6)} MB   ` +
        `${t1.toFixed(1).padStart(7)} → ${t2.toFixed(1).padStart(7)} ${timeLinear ? 'linear' : 'NOT LINEAR'}   ` +
        `${r1.toFixed(0).padStart(6)} → ${r2.toFixed(0).padStart(6)} ${stage === 'sha256sum' ? '' : rssLinear ? 'linear' : 'NOT LINEAR'}`,
    );
  }

  const worstBytes = Math.max(
    ...STAGES.filter((stage) => stage !== 'sha256sum').map((stage) => perFile(whole, stage, 'rss')),
  );
  const worstStage = STAGES.find(
    (stage) => stage !== 'sha256sum' && perFile(whole, stage, 'rss') === worstBytes,
  );
  const scanRatio = get(whole, 'sha256sum').seconds / get(whole, 'manifest').seconds;
  // diff + plan for the slowest provider; a smaller run is scaled up to 1,000,000 files (the
  // fixed cost once, the growth per file).
  const providers = Object.keys(PROVIDERS) as ProviderName[];
  const diffPlanOf = (tree: Tree, name: ProviderName) =>
    get(tree, 'diff').seconds + get(tree, `plan ${name}`).seconds;
  const slowest = providers.reduce((a, b) =>
    diffPlanOf(whole, a) >= diffPlanOf(whole, b) ? a : b,
  );
  const diffPlan = diffPlanOf(whole, slowest);
  const diffPlanAtMillion =
    diffPlanOf(one, slowest) + ((diffPlan - diffPlanOf(one, slowest)) * FULL) / whole.files;

  console.log(`\ngoal (${whole.files} files)                                   result     goal`);
  goal(
    `per-file time and RSS, ${tenth.files} vs ${whole.files} files`,
    `${linear.filter(Boolean).length}/${linear.length}`,
    `±${GOALS.linearTolerance * 100} %`,
    linear.every(Boolean),
  );
  goal(
    `peak RSS per file beyond fixed cost (worst: ${worstStage})`,
    `${worstBytes.toFixed(0)} B`,
    `<${GOALS.bytesPerFile} B`,
    worstBytes < GOALS.bytesPerFile,
  );
  goal(
    'scan: xargs sha256sum / edgepurge manifest (process)',
    `${scanRatio.toFixed(2)}×`,
    `≥${GOALS.scanRatio}×`,
    scanRatio >= GOALS.scanRatio,
  );
  goal(
    `diff + plan ${slowest}, at ${FULL} files${whole.files === FULL ? '' : ' (scaled up)'}`,
    `${diffPlanAtMillion.toFixed(1)} s`,
    `<${GOALS.diffPlanSeconds} s`,
    diffPlanAtMillion < GOALS.diffPlanSeconds,
  );
  console.log(
    '  (plan scans the tree itself: its time includes a scan as long as the manifest stage; ' +
      `at ${whole.files} files: diff ${get(whole, 'diff').seconds.toFixed(2)} s + plan ${slowest} ` +
      `${get(whole, `plan ${slowest}`).seconds.toFixed(2)} s)`,
  );
}

function within(a: number, b: number): boolean {
  const high = Math.max(Math.abs(a), Math.abs(b));
  return high === 0 || Math.abs(a - b) / high <= GOALS.linearTolerance;
}

// ---- verify --shard (TODO) -----------------------------------------------------------------

/**
 * TODO(issue 11): `verify --shard 1/20` of the changed URLs through real Varnish. Opt-in with
 * EDGEPURGE_BENCH_SCALE_VERIFY=1 until `verify --shard` (src/cli/commands/verify.ts, being
 * built alongside) has settled; then run it by default and add its row to the report. The
 * shape: nginx + Varnish serving the tree (startSystemStack, as the verify bench does), then
 * `edgepurge verify --manifest M --previous BASELINE --shard 1/20 --connect-to …`, timed and
 * measured like the other stages (1 % changed → 10,000 URLs at 1,000,000 files, 500 a shard).
 */
async function verifyShardStage(whole: Tree, work: string): Promise<void> {
  if (process.env.EDGEPURGE_BENCH_SCALE_VERIFY !== '1') {
    console.log(
      '\nverify --shard 1/20 through Varnish: not run (TODO: set EDGEPURGE_BENCH_SCALE_VERIFY=1 ' +
        'to try it while `verify --shard` settles)',
    );
    return;
  }
  const { startSystemStack } = await import('../../src/demo/system-stack.ts');
  const stack = await startSystemStack({ root: whole.dir });
  try {
    const dir = join(work, 'whole');
    const host = new URL(BASE_URL).host;
    const config = join(dir, 'verify.config.json');
    await writeFile(config, JSON.stringify({ dir: whole.dir, baseUrl: BASE_URL, providers: [] }));
    const result = await edgepurge([
      'verify',
      '--config',
      config,
      '--manifest',
      join(dir, 'manifest.json'),
      '--previous',
      join(dir, 'baseline.json'),
      '--shard',
      '1/20',
      '--connect-to',
      `${host}:80:127.0.0.1:${stack.edgePort}`,
    ]);
    const urls = Math.round(whole.files / CHANGED_EVERY / 20);
    console.log(
      `\nverify --shard 1/20 through Varnish (~${urls} URLs): ${result.seconds.toFixed(2)} s, ` +
        `${mb(result.rss)} MB peak RSS`,
    );
  } finally {
    await stack.stop();
  }
}

// ---- output --------------------------------------------------------------------------------

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function goal(label: string, result: string, target: string, pass: boolean): void {
  console.log(
    `${label.padEnd(58)} ${result.padStart(9)}  ${target.padEnd(8)} ${pass ? 'PASS' : 'MISS'}`,
  );
}
