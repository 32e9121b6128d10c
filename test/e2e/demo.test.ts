import { tmpdir } from 'node:os';
import { expect, it } from 'vitest';
import { runCli } from '../support/run-cli.ts';
import { describeE2E } from '../support/stack.ts';

describeE2E('edgepurge demo --stack system (nginx + Varnish)', () => {
  it('tells the same story on the real stack and exits 0', async () => {
    const run = await runCli(['demo', '--stack', 'system'], { cwd: tmpdir() });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('behind Varnish');
    expect(run.stdout).toMatch(/If-None-Match "[0-9a-f]+-de" → 304 Not Modified/);
    expect(run.stdout).toMatch(/If-None-Match "[0-9a-f]+-de" → 200 with the new bytes/);
  });
});
