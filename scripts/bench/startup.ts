/**
 * Start-up benchmark: the published entry (`node dist/cli.js`) as a process, the way a user
 * or a deploy script pays for it, against `node -e 0` measured in the same run. Goal: `--help`,
 * `--version` and `manifest` of a one-file directory within 3× of `node -e 0`. The same
 * commands from a checkout (bin/edgepurge.js, Node stripping the types) are shown beside them,
 * without a goal. `EDGEPURGE_BENCH_RUNS` sets the runs per command (default 25).
 *
 * Runs are interleaved (one of each command per round), so a busy machine slows every
 * contestant alike; the median of the rounds is reported. dist/ is built first (ensure-cli.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, ensureCli } from './ensure-cli.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCE_BIN = join(REPO, 'bin/edgepurge.js');
const ONE_FILE = join(REPO, '.tmp/bench/startup-one-file');
const RUNS = Number(process.env.EDGEPURGE_BENCH_RUNS ?? '25');
const WARM_UP = 3;
const GOAL_RATIO = 3;

interface Contestant {
  readonly label: string;
  readonly args: readonly string[];
  /** Compared with GOAL_RATIO × the baseline when true. */
  readonly goal: boolean;
}

export async function run(): Promise<void> {
  if (!(Number.isInteger(RUNS) && RUNS > 0)) throw new Error('EDGEPURGE_BENCH_RUNS: a count');
  ensureCli();
  mkdirSync(ONE_FILE, { recursive: true });
  writeFileSync(join(ONE_FILE, 'index.html'), '<h1>one</h1>\n');

  const contestants: Contestant[] = [
    { label: 'node -e 0', args: ['-e', '0'], goal: false },
    { label: 'dist: --help', args: [CLI, '--help'], goal: true },
    { label: 'dist: --version', args: [CLI, '--version'], goal: true },
    { label: 'dist: manifest <one file>', args: [CLI, 'manifest', ONE_FILE], goal: true },
    { label: 'checkout: --help', args: [SOURCE_BIN, '--help'], goal: false },
    {
      label: 'checkout: manifest <one file>',
      args: [SOURCE_BIN, 'manifest', ONE_FILE],
      goal: false,
    },
  ];
  console.log(
    `node ${process.version}, ${RUNS} runs each (median), interleaved; one-file dir: ${ONE_FILE}`,
  );
  const samples = contestants.map(() => [] as number[]);
  for (let round = 0; round < WARM_UP + RUNS; round++) {
    contestants.forEach((contestant, i) => {
      const ms = timeProcess(contestant.args);
      if (round >= WARM_UP) samples[i]?.push(ms);
    });
  }
  const medians = samples.map(median);
  const baseline = medians[0] as number;

  console.log('\ncommand (as a process)          median    × node -e 0   goal');
  contestants.forEach((contestant, i) => {
    const ms = medians[i] as number;
    const ratio = ms / baseline;
    const verdict = contestant.goal ? (ratio <= GOAL_RATIO ? 'PASS' : 'MISS') : '';
    console.log(
      `${contestant.label.padEnd(31)} ${ms.toFixed(1).padStart(6)} ms ${ratio.toFixed(2).padStart(8)}×   ${contestant.goal ? `≤${GOAL_RATIO}×` : '   '}  ${verdict}`,
    );
  });
}

/** Wall time of one `node <args>` run, in ms; a failing command stops the benchmark. */
function timeProcess(args: readonly string[]): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  const ms = performance.now() - start;
  if (result.status !== 0) {
    throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return ms;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
