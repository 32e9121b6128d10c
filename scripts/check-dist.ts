/**
 * `npm run check-dist`: fails when the committed dist/action.js is not what src/ builds to.
 * GitHub runs the Action from the repository as committed, so a change to src/ that was not
 * rebuilt and committed would ship old code (the same check as actions/typescript-action's
 * check-dist workflow). Run it before `npm run build`, which rewrites dist/action.js.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDist } from './build.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const COMMITTED = join(REPO, 'dist/action.js');
const ENTRY = join(REPO, 'src/action/main.ts');

/** The first line where `a` and `b` differ (1-based), for the message. */
function firstDifference(a: string, b: string): number {
  const left = a.split('\n');
  const right = b.split('\n');
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    if (left[i] !== right[i]) return i + 1;
  }
  return 0;
}

async function check(): Promise<number> {
  if (!existsSync(ENTRY)) {
    if (existsSync(COMMITTED)) {
      console.error('check-dist: dist/action.js is committed but src/action/main.ts is missing');
      return 1;
    }
    console.log('check-dist: skipped, there is no src/action/main.ts (and no dist/action.js)');
    return 0;
  }
  if (!existsSync(COMMITTED)) {
    console.error(
      'check-dist: dist/action.js is missing\nhint: run `npm run build` and commit dist/action.js',
    );
    return 1;
  }
  const outdir = mkdtempSync(join(tmpdir(), 'edgepurge-check-dist-'));
  try {
    try {
      await buildDist({ outdir, actionOnly: true, log: () => {} });
    } catch (error) {
      // esbuild has printed the errors with file and line.
      console.error(`check-dist: src/ does not build: ${(error as Error).message.split('\n')[0]}`);
      return 1;
    }
    const fresh = readFileSync(join(outdir, 'action.js'), 'utf8');
    const committed = readFileSync(COMMITTED, 'utf8');
    if (fresh === committed) {
      console.log(`check-dist: dist/action.js matches a fresh build of src/ (${fresh.length} B)`);
      return 0;
    }
    console.error(
      [
        'check-dist: dist/action.js differs from a fresh build of src/',
        `  committed ${committed.length} B, fresh ${fresh.length} B; first difference at line ${firstDifference(committed, fresh)}`,
        'hint: run `npm run build` and commit dist/action.js (GitHub runs the committed file)',
      ].join('\n'),
    );
    return 1;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

process.exitCode = await check();
