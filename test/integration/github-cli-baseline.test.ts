import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStateBranchStore } from '../../src/github/state-branch-store.ts';
import { scanDirPacked } from '../../src/manifest/scan-dir.ts';
import { FAKE_GITHUB_TOKEN, type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { fakeClient } from '../support/fake-github-client.ts';
import { runCli } from '../support/run-cli.ts';

// `baseline: "github:"` from the CLI, as a user runs it outside Actions: GITHUB_TOKEN and
// GITHUB_REPOSITORY exported, GITHUB_API_URL at the loopback fake.
describe('edgepurge plan with a github: baseline', () => {
  let fake: FakeGitHub;
  let work: string;
  beforeEach(async () => {
    fake = await startFakeGitHub();
    work = await mkdtemp(join(tmpdir(), 'edgepurge-gh-cli-'));
    await mkdir(join(work, 'site'));
    await writeFile(join(work, 'site', 'index.html'), '<h1>home</h1>');
    await writeFile(join(work, 'site', 'app.js'), 'console.log(1)');
    await writeFile(
      join(work, 'edgepurge.config.json'),
      JSON.stringify({
        dir: 'site',
        baseUrl: 'https://www.example.com',
        baseline: 'github:',
        environment: 'staging',
        providers: [{ type: 'varnish', endpoints: ['http://127.0.0.1:9'] }],
      }),
    );
  });
  afterEach(async () => {
    expect(fake.violations).toEqual([]);
    await fake.close();
    await rm(work, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}) => ({
    GITHUB_TOKEN: FAKE_GITHUB_TOKEN,
    GITHUB_REPOSITORY: 'acme/site',
    GITHUB_API_URL: fake.url,
    ...extra,
  });

  it('reads the stored baseline: a first deploy, then nothing changed', async () => {
    const first = await runCli(['plan', '--json'], { cwd: work, env: env() });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout + first.stderr).not.toContain(FAKE_GITHUB_TOKEN);
    const firstPlan = JSON.parse(first.stdout);
    expect(firstPlan.diff.added).toEqual(['app.js', 'index.html']);
    expect(firstPlan.baseline.found).toBe(false);

    // What a verified deploy saves: the scan of the same tree.
    const manifest = await scanDirPacked(join(work, 'site'), {
      baseUrl: 'https://www.example.com',
    });
    await createStateBranchStore({
      octokit: fakeClient(fake),
      owner: 'acme',
      repo: 'site',
      branch: 'edgepurge-state',
      environment: 'staging',
    }).write(manifest);

    const second = await runCli(['plan', '--json'], { cwd: work, env: env() });
    expect(second.code, second.stderr).toBe(0);
    const plan = JSON.parse(second.stdout);
    expect(plan.diff).toMatchObject({ added: [], changed: [], removed: [], unchanged: 2 });
    expect(plan.baseline.found).toBe(true);
    expect(plan.baseline.path).toBe('github:edgepurge-state (staging)');
    // Read through the Git Data API at GITHUB_API_URL.
    expect(fake.server.requests.some((r) => r.url.includes('/git/blobs/'))).toBe(true);
  });

  it('takes the state branch and environment from flags', async () => {
    const run = await runCli(
      ['plan', '--json', '--baseline', 'github:deploy-state', '--environment', 'eu'],
      { cwd: work, env: env() },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).baseline).toMatchObject({
      path: 'github:deploy-state (eu)',
      found: false,
    });
    expect(fake.server.requests.some((r) => r.url.includes('/git/ref/heads%2Fdeploy-state'))).toBe(
      true,
    );
  });

  it('names GITHUB_REPOSITORY when it is missing (exit 2)', async () => {
    const run = await runCli(['plan'], { cwd: work, env: env({ GITHUB_REPOSITORY: '' }) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('GITHUB_REPOSITORY');
    expect(fake.server.requests).toEqual([]);
  });
});
