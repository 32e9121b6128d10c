import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.ts';

describe('edgepurge demo (embedded edge)', () => {
  it('narrates the stale 304, the failed purge-only deploy, the fix and the proof; exit 0', async () => {
    const run = await runCli(['demo'], { cwd: tmpdir() });
    expect(run.code, run.stderr).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/GET with If-None-Match "[0-9a-f]+-de" → 304 Not Modified/);
    expect(out).toContain('verification: FAILED');
    expect(out).toMatch(
      /STALE http:\/\/www\.example\.test\/assets\/app\.js\n\s+ETag .* did not change/,
    );
    expect(out).toContain('touched: about/index.html, assets/app.js');
    expect(out).toMatch(/GET with If-None-Match "[0-9a-f]+-de" → 200 with the new bytes/);
    expect(out).toContain('Done: the deploy stuck');
  });

  it('refuses an unknown --stack with exit 2', async () => {
    const run = await runCli(['demo', '--stack', 'docker'], { cwd: tmpdir() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--stack');
  });
});
