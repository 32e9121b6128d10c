import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The published entry the benches run as a process. */
export const CLI = join(REPO, 'dist/cli.js');

/**
 * Builds dist/ with `npm run build`, every time: a bench that runs `node dist/cli.js` then
 * measures the code in src/, never a missing build (ENOENT) or a stale one. It costs ~7 s
 * (esbuild, then tsc for the declarations), small beside any bench that needs it.
 */
export function ensureCli(): void {
  console.log('building dist/ (npm run build), so that the bench measures the current src/ …');
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO, stdio: 'inherit' });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0)
    throw new Error(`npm run build exited ${result.status ?? result.signal}`);
}
