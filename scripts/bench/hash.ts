/**
 * Hash benchmark: rename and rewrite a generated site (HTML, CSS, JS, images) to content-hash
 * names with `edgepurge hash SRC --out OUT` (the published entry, as a process) against gulp-rev +
 * gulp-rev-rewrite (scripts/bench/gulp-rev-run.ts, as a process) on the same tree, in the same
 * run. Goals: faster than gulp at 10,000 files; memory flat in the number of files beyond the
 * map (peak RSS growth from 2,500 to 10,000 files, per added file, within 1 KiB: a map entry and
 * a manifest entry are about 200 bytes). Peak RSS is /usr/bin/time's `%M`. `EDGEPURGE_BENCH_RUNS`
 * sets the runs per contestant (default 3, interleaved, median). dist/ is built first if missing.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDist } from '../build.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(REPO, 'dist/cli.js');
const GULP = join(REPO, 'scripts/bench/gulp-rev-run.ts');
const ROOT = join(REPO, '.tmp/bench/hash');
const RUNS = Number(process.env.EDGEPURGE_BENCH_RUNS ?? '3');
const FILES = 10_000;
const SMALL = 2_500;
const GOAL_BYTES_PER_FILE = 1024;

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
  if (!existsSync(CLI)) {
    console.log('dist/cli.js is missing: building it first');
    await buildDist();
  }
  const large = generateSite(join(ROOT, `site-${FILES}`), FILES);
  const small = generateSite(join(ROOT, `site-${SMALL}`), SMALL);
  console.log(
    `node ${process.version}, ${RUNS} runs each (median), interleaved; ${FILES} files (${mib(large.bytes)} MiB, ${mib(large.textBytes)} MiB of HTML/CSS/JS) in ${large.dir}`,
  );

  const edgepurge = (site: string) => (out: string) =>
    timed([process.execPath, CLI, 'hash', site, '--out', out, '--json']);
  const gulp = (site: string) => (out: string) =>
    timed([process.execPath, GULP, site, out], GULP_TIMEOUT_SECONDS);
  const contestants = [
    { label: `gulp-rev + gulp-rev-rewrite, ${FILES}`, go: gulp(large.dir) },
    { label: `edgepurge hash, ${FILES}`, go: edgepurge(large.dir) },
    { label: `gulp-rev + gulp-rev-rewrite, ${SMALL}`, go: gulp(small.dir) },
    { label: `edgepurge hash, ${SMALL}`, go: edgepurge(small.dir) },
  ];
  const samples = contestants.map(() => [] as Run[]);
  for (let round = 0; round < RUNS; round++) {
    contestants.forEach((contestant, i) => {
      const out = join(ROOT, `out-${i}`);
      rmSync(out, { recursive: true, force: true });
      samples[i]?.push(contestant.go(out));
    });
  }
  const medians: Run[] = samples.map((runs) => ({
    ms: median(runs.map((r) => r.ms)),
    rssKiB: median(runs.map((r) => r.rssKiB)),
    timedOut: runs.some((r) => r.timedOut === true),
  }));
  const [gulpRun, largeRun, smallGulpRun, smallRun] = medians as [Run, Run, Run, Run];

  console.log('\ncontestant (as a process)                 median     peak RSS');
  contestants.forEach((contestant, i) => {
    const m = medians[i] as Run;
    console.log(
      `${contestant.label.padEnd(41)} ${m.timedOut ? '>' : ' '}${(m.ms / 1000).toFixed(2).padStart(6)} s ${(m.rssKiB / 1024).toFixed(0).padStart(7)} MiB${m.timedOut ? ' (stopped at the timeout)' : ''}`,
    );
  });
  const ratio = gulpRun.ms / largeRun.ms;
  console.log(
    `\nspeed: edgepurge is ${gulpRun.timedOut ? '>' : ''}${ratio.toFixed(2)}× gulp's speed at ${FILES} files   goal >1×   ${ratio > 1 ? 'PASS' : 'MISS'}`,
  );
  console.log(
    `speed: edgepurge is ${(smallGulpRun.ms / smallRun.ms).toFixed(2)}× gulp's speed at ${SMALL} files (no goal: the trend)`,
  );
  const perFile = ((largeRun.rssKiB - smallRun.rssKiB) * 1024) / (FILES - SMALL);
  const textPerFile = large.textBytes / FILES;
  console.log(
    `memory: peak RSS grows ${perFile.toFixed(0)} bytes per added file (${SMALL} → ${FILES}; HTML/CSS/JS average ${textPerFile.toFixed(0)} bytes a file)   goal ≤${GOAL_BYTES_PER_FILE}   ${perFile <= GOAL_BYTES_PER_FILE ? 'PASS' : 'MISS'}`,
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
