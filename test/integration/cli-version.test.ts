import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.ts';

const work = mkdtempSync(join(tmpdir(), 'edgepurge-version-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('edgepurge --version and --help', () => {
  it('--version prints the version in package.json', async () => {
    const run = await runCli(['--version'], { cwd: work });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${pkg.version}\n`);
  });

  it('--help lists every command; <command> --help prints its usage', async () => {
    const help = await runCli(['--help'], { cwd: work });
    expect(help.code).toBe(0);
    for (const name of ['deploy', 'plan', 'manifest', 'diff', 'touch', 'purge', 'verify', 'demo']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
    const usage = await runCli(['manifest', '--help'], { cwd: work });
    expect(usage.code).toBe(0);
    expect(usage.stdout).toBe('usage: edgepurge manifest <dir> [--out FILE] [--base-url URL]\n');
  });

  it('an unknown command, even one named like an Object method, exits 2', async () => {
    const run = await runCli(['toString'], { cwd: work });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown command "toString"');
  });
});
