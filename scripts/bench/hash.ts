/**
 * Hash benchmark: rename and rewrite a generated site (HTML, CSS, JS, images) to content-hash
 * names with `edgepurge hash SRC --out OUT --json` (the published entry, as a process, start-up
 * included) against gulp-rev + gulp-rev-rewrite (scripts/bench/gulp-rev-run.ts, as a process) on
 * the same tree, in the same run, at 2,500 and 10,000 files; edgepurge alone at 40,000 too.
 *
 * Goals: faster than gulp at 10,000 files; memory flat in the number of files beyond the map
 * itself: peak RSS (/usr/bin/time's `%M`) grows by at most GOAL_BYTES_PER_FILE per added file
 * from 10,000 to 40,000 files, with V8's young generation held at one size (YOUNG_FLAGS).
 * Why held: V8 sizes the young generation by how much has survived scavenges so far, doubling
 * it from 1 up to 2 × 32 MiB as a run goes on (16 MiB at 2,500 files of this site, 32 at 10,000,
 * 64 at 40,000): a bounded step that tracks run length, not what the program keeps, and that
 * alone would read as ~1.1 KB a file between 10,000 and 40,000. Held at V8's own cap from the
 * start, the two runs differ only by what grows with the files. The runs as users run them
 * (no flags) are printed beside, with their growth, without a goal.
 *
 * `EDGEPURGE_BENCH_RUNS` sets the runs per contestant (default 3, interleaved, median).
 * `EDGEPURGE_BENCH_CLI` runs another build of the CLI, as it is, instead of dist/cli.js (which is
 * otherwise rebuilt first: ensure-cli.ts). `EDGEPURGE_BENCH_HASH_GULP=0` leaves gulp out (no
 * speed goal).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI as DIST_CLI, ensureCli } from './ensure-cli.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OTHER_CLI = process.env.EDGEPURGE_BENCH_CLI || undefined;
const CLI = OTHER_CLI === undefined ? DIST_CLI : resolve(OTHER_CLI);
const GULP = join(REPO, 'scripts/bench/gulp-rev-run.ts');
const ROOT = join(REPO, '.tmp/bench/hash');
const RUNS = Number(process.env.EDGEPURGE_BENCH_RUNS ?? '3');
const FILES = 10_000;
const SMALL = 2_500;
const LARGE = 40_000;
const WITH_GULP = process.env.EDGEPURGE_BENCH_HASH_GULP !== '0';
/**
 * The map itself costs about 320 bytes a file on this site: the live heap after a full GC
 * (`node --expose-gc`) holding the plan grows 9.7 MB from 10,000 to 40,000 files — the sorted
 * path list, the rename map and its hashed names (about half the files are renamed), the
 * outputs, the edits that remake the rewritten pages (a quarter of the files). The CLI then
 * prints it as JSON (about 62 bytes a file, copied on its way to stdout). V8 lets the old
 * generation grow to a multiple (1.1–4×, by its measured GC speed) of what survived the last
 * full GC before collecting again (and runs none in a run of this size), so a peak may carry
 * about 3× the live map: 1 KiB a file. Before the two-pass planner (every text held with its
 * decoded copy, its references sliced from it, and its rewritten bytes) peak RSS grew 8–11 KB a
 * file; holding only the text files' bytes (880 bytes on average, a quarter of the files)
 * would not by itself cross the goal (test/unit/hash/plan-site-hash.test.ts checks that a plan
 * made from disk holds no bytes).
 */
const GOAL_BYTES_PER_FILE = 1024;
/** V8's young generation held at its cap (2 × 32 MiB semi-spaces) from the start. */
const YOUNG_FLAGS = ['--min-semi-space-size=32', '--max-semi-space-size=32'];

/** gulp-rev-rewrite tries every manifest entry on every file: past this, it is stopped. */
const GULP_TIMEOUT_SECONDS = Number(process.env.EDGEPURGE_BENCH_GULP_TIMEOUT ?? '600');

interface Run {
  readonly ms: number;
  readonly rssKiB: number;
  /** Stopped at the timeout: `ms` is a lower bound. */
  readonly timedOut?: boolean;
}

export async function run(): Promise<void> {
  if (!(Number.isInteger(RUNS) && RUNS > 0)) throw new Error('EDGEPURGE_BENCH_RUNS: a count');
  if (!existsSync('/usr/bin/time'))
    throw new Error('the hash bench needs /usr/bin/time (GNU time)');
  if (OTHER_CLI === undefined) ensureCli();
  else if (!existsSync(CLI)) throw new Error(`EDGEPURGE_BENCH_CLI: ${CLI} does not exist`);
  const medium = generateSite(join(ROOT, `site-${FILES}`), FILES);
  const small = generateSite(join(ROOT, `site-${SMALL}`), SMALL);
  const large = generateSite(join(ROOT, `site-${LARGE}`), LARGE);
  console.log(
    `node ${process.version}, ${RUNS} runs each (median), interleaved; ${FILES} files (${mib(medium.bytes)} MiB, ${mib(medium.textBytes)} MiB of HTML/CSS/JS) in ${medium.dir}; CLI ${CLI}`,
  );

  const edgepurge =
    (site: string, flags: readonly string[] = []) =>
    (out: string) =>
      timed([process.execPath, ...flags, CLI, 'hash', site, '--out', out, '--json']);
  const gulp = (site: string) => (out: string) =>
    timed([process.execPath, GULP, site, out], GULP_TIMEOUT_SECONDS);
  const held = `, young generation held`;
  const contestants = [
    { key: 'gulp', label: `gulp-rev + gulp-rev-rewrite, ${FILES}`, go: gulp(medium.dir) },
    { key: 'medium', label: `edgepurge hash, ${FILES}`, go: edgepurge(medium.dir) },
    { key: 'smallGulp', label: `gulp-rev + gulp-rev-rewrite, ${SMALL}`, go: gulp(small.dir) },
    { key: 'small', label: `edgepurge hash, ${SMALL}`, go: edgepurge(small.dir) },
    { key: 'large', label: `edgepurge hash, ${LARGE}`, go: edgepurge(large.dir) },
    {
      key: 'mediumHeld',
      label: `edgepurge hash, ${FILES}${held}`,
      go: edgepurge(medium.dir, YOUNG_FLAGS),
    },
    {
      key: 'largeHeld',
      label: `edgepurge hash, ${LARGE}${held}`,
      go: edgepurge(large.dir, YOUNG_FLAGS),
    },
  ].filter((contestant) => WITH_GULP || !contestant.key.toLowerCase().includes('gulp'));
  const samples = contestants.map(() => [] as Run[]);
  for (let round = 0; round < RUNS; round++) {
    contestants.forEach((contestant, i) => {
      const out = join(ROOT, `out-${i}`);
      rmSync(out, { recursive: true, force: true });
      samples[i]?.push(contestant.go(out));
    });
  }
  const medians = new Map<string, Run>();
  contestants.forEach((contestant, i) => {
    const runs = samples[i] as Run[];
    medians.set(contestant.key, {
      ms: median(runs.map((r) => r.ms)),
      rssKiB: median(runs.map((r) => r.rssKiB)),
      timedOut: runs.some((r) => r.timedOut === true),
    });
  });
  const at = (key: string) => medians.get(key) as Run;

  console.log(`\n${'contestant (as a process)'.padEnd(56)} median     peak RSS`);
  for (const contestant of contestants) {
    const m = at(contestant.key);
    console.log(
      `${contestant.label.padEnd(55)} ${m.timedOut ? '>' : ' '}${(m.ms / 1000).toFixed(2).padStart(6)} s ${(m.rssKiB / 1024).toFixed(1).padStart(7)} MiB${m.timedOut ? ' (stopped at the timeout)' : ''}`,
    );
  }
  if (WITH_GULP) {
    const ratio = at('gulp').ms / at('medium').ms;
    console.log(
      `\nspeed: edgepurge is ${at('gulp').timedOut ? '>' : ''}${ratio.toFixed(2)}× gulp's speed at ${FILES} files   goal >1×   ${ratio > 1 ? 'PASS' : 'MISS'}`,
    );
    console.log(
      `speed: edgepurge is ${(at('smallGulp').ms / at('small').ms).toFixed(2)}× gulp's speed at ${SMALL} files (no goal: the trend)`,
    );
    console.log(
      `memory: gulp's peak RSS is ${(at('gulp').rssKiB / at('medium').rssKiB).toFixed(2)}× edgepurge's at ${FILES} files, ${(at('smallGulp').rssKiB / at('small').rssKiB).toFixed(2)}× at ${SMALL}`,
    );
  } else console.log('\nspeed: gulp left out (EDGEPURGE_BENCH_HASH_GULP=0): no speed goal');
  const growth = (from: string, fromFiles: number, to: string, toFiles: number) =>
    ((at(to).rssKiB - at(from).rssKiB) * 1024) / (toFiles - fromFiles);
  console.log(
    `memory, as run: peak RSS grows ${growth('small', SMALL, 'medium', FILES).toFixed(0)} bytes per added file ${SMALL} → ${FILES}, ${growth('medium', FILES, 'large', LARGE).toFixed(0)} ${FILES} → ${LARGE} (no goal: includes V8 growing its young generation with run length, up to 64 MiB)`,
  );
  const slope = growth('mediumHeld', FILES, 'largeHeld', LARGE);
  console.log(
    `memory, young generation held: peak RSS grows ${slope.toFixed(0)} bytes per added file ${FILES} → ${LARGE} (HTML/CSS/JS average ${(medium.textBytes / (FILES / 4)).toFixed(0)} bytes a file, images 2048)   goal ≤${GOAL_BYTES_PER_FILE} (the map, ~320 live, ×3 GC headroom)   ${slope <= GOAL_BYTES_PER_FILE ? 'PASS' : 'MISS'}`,
  );
}

/**
 * A deterministic site of `count` files, one in ten HTML (five CSS/JS/image references each), one
 * in twenty CSS (three images each), one in ten JS (an import each), the rest images of 2 KiB.
 * Every reference is root-absolute, a form both contestants rewrite. Written once per size.
 */
function generateSite(
  dir: string,
  count: number,
): { dir: string; bytes: number; textBytes: number } {
  const pages = count / 10;
  const sheets = count / 20;
  const scripts = count / 10;
  const images = count - pages - sheets - scripts;
  const marker = join(dir, '.complete');
  const image = (i: number) => `/img/${Math.floor(i / 100)}/i${i}.png`;
  const sheet = (i: number) => `/assets/css/s${i}.css`;
  const script = (i: number) => `/assets/js/m${i}.js`;
  const files: [string, string | Buffer][] = [];
  for (let i = 0; i < pages; i++) {
    const body = Array.from({ length: 20 }, (_, p) => `<p>Paragraph ${p} of page ${i}.</p>`).join(
      '\n',
    );
    files.push([
      `${Math.floor(i / 100)}/page${i}.html`,
      `<!doctype html><html><head><meta charset=utf-8><title>Page ${i}</title>
<link rel="stylesheet" href="${sheet(i % sheets)}">
<script type="module" src="${script(i % scripts)}"></script>
</head><body><img src="${image(i % images)}" alt=""><img src="${image((i * 7) % images)}" alt="">
<a href="${image((i * 13) % images)}">full size</a>
${body}
</body></html>
`,
    ]);
  }
  for (let i = 0; i < sheets; i++) {
    files.push([
      sheet(i).slice(1),
      `.hero-${i} { background: url("${image(i % images)}") no-repeat }\n.card-${i} { background-image: url(${image((i * 3) % images)}) }\n.icon-${i}::before { content: url('${image((i * 5) % images)}') }\n${'.rule { margin: 0 auto; padding: 1rem }\n'.repeat(20)}`,
    ]);
  }
  for (let i = 0; i < scripts; i++) {
    const next = (i + 1) % scripts;
    files.push([
      script(i).slice(1),
      `${next > i ? `import "${script(next)}";\n` : ''}export const module${i} = ${i};\n${'console.debug("line");\n'.repeat(30)}`,
    ]);
  }
  for (let i = 0; i < images; i++) {
    const seed = createHash('sha256').update(`image ${i}`).digest();
    files.push([image(i).slice(1), Buffer.concat(Array.from({ length: 64 }, () => seed))]);
  }
  let bytes = 0;
  let textBytes = 0;
  for (const [, body] of files) {
    const size = Buffer.byteLength(body);
    bytes += size;
    if (typeof body === 'string') textBytes += size;
  }
  if (existsSync(marker)) return { dir, bytes, textBytes };
  rmSync(dir, { recursive: true, force: true });
  for (const [path, body] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), body);
  }
  writeFileSync(marker, '');
  return { dir, bytes, textBytes };
}

/**
 * Wall time and peak RSS (GNU time's %M, KiB) of one process; a failing one stops the bench.
 * With `timeoutSeconds`, coreutils `timeout` stops it (exit 124): the time is then a lower bound.
 */
function timed(args: readonly string[], timeoutSeconds?: number): Run {
  const start = performance.now();
  const limit = timeoutSeconds === undefined ? [] : ['timeout', String(timeoutSeconds)];
  const result = spawnSync('/usr/bin/time', ['-f', 'edgepurge-bench-rss %M', ...limit, ...args], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = performance.now() - start;
  const timedOut = timeoutSeconds !== undefined && result.status === 124;
  if (result.status !== 0 && !timedOut)
    throw new Error(`${args.join(' ')} exited ${result.status}: ${result.stderr.slice(-2000)}`);
  const rss = /edgepurge-bench-rss (\d+)/.exec(result.stderr)?.[1];
  if (rss === undefined)
    throw new Error(`no peak RSS from /usr/bin/time: ${result.stderr.slice(-500)}`);
  return { ms, rssKiB: Number(rss), timedOut };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
