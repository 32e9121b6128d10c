import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DemoEdge } from '../../src/demo/edge-proxy.ts';
import { type ActionSite, startActionSite } from '../support/action-site.ts';
import { FAKE_GITHUB_TOKEN, type FakeGitHub, githubFaults } from '../support/fake-github.ts';
import { type RunnerFiles, runAction } from '../support/run-action.ts';

const HOST = 'www.example.test';
const SHA = 'a'.repeat(40);

// The Action from the sources, as the runner runs it (a Node process with the runner's
// variables), against the embedded origin + caching edge and the loopback GitHub fake. The same
// stories on the bundled dist/action.js and real nginx + Varnish: test/e2e/action.test.ts.
describe('the Action against the embedded edge and the GitHub fake', () => {
  let files: RunnerFiles;
  let edge: DemoEdge;
  let github: FakeGitHub;

  let site: ActionSite;

  beforeEach(async () => {
    site = await startActionSite(HOST);
    ({ files, edge, github } = site);
  });
  afterEach(async () => {
    await site.close();
    expect(github.violations).toEqual([]);
  });

  const run = (event: string, inputs: Record<string, string> = {}, payload: unknown = {}) =>
    runAction({
      files,
      inputs: { 'github-token': FAKE_GITHUB_TOKEN, ...inputs },
      event: { name: event, payload },
      env: { GITHUB_API_URL: github.url },
    });

  it('push (auto = deploy): verified; outputs, JSON document, summary, HTML report; status pending then success', async () => {
    const result = await run('push', { report: 'reports/edgepurge.html' });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.outputs).toMatchObject({
      ok: 'true',
      'baseline-saved': 'true',
      stale: '0',
      'stale-urls': '[]',
    });
    const json = JSON.parse(await readFile(result.outputs.json as string, 'utf8'));
    const added = json.diff.added.length;
    expect(added).toBeGreaterThan(0);
    expect(result.outputs.changed).toBe(String(added));
    expect(result.outputs.verified).toBe(String(json.verify.checked));
    expect(result.outputs['purged-urls']).toBe(String(json.purge.urls));
    expect(result.outputs.requests).toBe(String(json.purge.requests));
    expect(json).toMatchObject({ ok: true, baseline: { saved: true } });
    expect(result.summary).toContain('edgepurge');
    expect(result.summary).toContain(`| ${json.verify.checked} | ${json.verify.checked} | 0 |`);
    expect(github.statuses.map((s) => [s.sha, s.context, s.state])).toEqual([
      [SHA, 'edgepurge/production', 'pending'],
      [SHA, 'edgepurge/production', 'success'],
    ]);
    expect(github.statuses[1]).toMatchObject({
      target_url: 'https://github.example/acme/site/actions/runs/4242',
    });
    expect(github.statuses[1]?.description).toContain(`${json.verify.checked} URLs fresh`);
    expect(github.comments).toEqual([]);
    const html = await readFile(join(files.workspace, 'reports', 'edgepurge.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);

    // Nothing changed: no purge, still a success.
    const again = await run('workflow_dispatch');
    expect(again.code, again.stdout).toBe(0);
    expect(again.outputs).toMatchObject({ ok: 'true', changed: '0', requests: '0' });
  });

  it('pull_request (auto = plan): one comment, updated on the next run; nothing purged, no status', async () => {
    const payload = { number: 7, pull_request: { number: 7 } };
    const first = await run('pull_request', {}, payload);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]).toMatchObject({ issueNumber: 7 });
    expect(github.comments[0]?.body).toContain('edgepurge plan for `production`');
    expect(first.summary).toContain('edgepurge plan');
    expect(first.outputs.ok).toBe('true');
    expect(Number(first.outputs.requests)).toBeGreaterThan(0);
    expect(edge.stats().purges).toBe(0);
    expect(github.statuses).toEqual([]);

    await writeFile(join(files.workspace, 'site', 'new-page.html'), '<h1>new</h1>\n');
    const second = await run('pull_request', {}, payload);
    expect(second.code, second.stdout).toBe(0);
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.edits).toBe(1);
    expect(github.comments[0]?.body).toContain('new-page.html');
  });

  it('a comment the token may not write (a fork): a warning, the step succeeds', async () => {
    github.injectFaults(
      (request) => request.method === 'POST' && request.url.includes('/comments'),
      [githubFaults.forbidden()],
    );
    const result = await run('pull_request', {}, { number: 8, pull_request: { number: 8 } });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/^::warning::.*(403|not accessible|pull-requests: write)/m);
    expect(github.comments).toEqual([]);
  });

  it('command: plan on push sets no status; status: false on a deployment sets none', async () => {
    const plan = await run('push', { command: 'plan' });
    expect(plan.code, plan.stdout).toBe(0);
    expect(edge.stats().purges).toBe(0);
    expect(github.statuses).toEqual([]);
    const quiet = await run('deployment', { status: 'false' }, { deployment: { id: 9 } });
    expect(quiet.code, quiet.stdout).toBe(0);
    expect(github.statuses).toEqual([]);
    expect(github.deploymentStatuses).toEqual([]);
  });

  it("deployment event: deploys to the deployment's environment; a deployment status with environment_url = base URL, and the commit status", async () => {
    const result = await run('deployment', {}, { deployment: { id: 31, environment: 'staging' } });
    expect(result.code, result.stdout).toBe(0);
    expect(github.statuses.map((s) => `${s.context} ${s.state}`)).toEqual([
      'edgepurge/staging pending',
      'edgepurge/staging success',
    ]);
    expect(github.deploymentStatuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(github.deploymentStatuses[1]).toMatchObject({
      deploymentId: 31,
      environment_url: `http://${HOST}`,
    });
  });

  it('verify: every file checked through the edge; a failure reads as the CLI says it', async () => {
    const ok = await run('workflow_dispatch', { command: 'verify' });
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.outputs).toMatchObject({ ok: 'true', stale: '0' });
    expect(Number(ok.outputs.verified)).toBeGreaterThan(0);
    expect(edge.stats().purges).toBe(0);

    const broken = await run('workflow_dispatch', {
      command: 'verify',
      'connect-to': `${HOST}:80:127.0.0.1:9`,
    });
    expect(broken.code).toBe(1);
    expect(broken.outputs.ok).toBe('false');
    expect(broken.stdout).toMatch(/^::error::error: \d+ of \d+ URLs failed verification%0Ahint: /m);
    expect(broken.summary).toContain('❌');
  });

  it('a failure before any work (bad config) says so in the summary too, and sets no status', async () => {
    const result = await run('push', { config: 'edgepurge.config.json', 'base-url': 'ftp://x' });
    expect(result.code).toBe(2);
    expect(result.summary).toContain('base-url');
    expect(github.statuses).toEqual([]);
  });

  it('plan input: the plan step writes the document, the deploy step applies it or refuses a stale one', async () => {
    const planned = await run('pull_request', { command: 'plan', plan: 'plan.json' });
    expect(planned.code, planned.stdout + planned.stderr).toBe(0);
    const plan = JSON.parse(await readFile(join(files.workspace, 'plan.json'), 'utf8'));
    expect(plan).toMatchObject({ version: 3, digests: { baseline: 'none' } });

    await writeFile(join(files.workspace, 'site', 'late.html'), '<h1>not reviewed</h1>\n');
    const stale = await run('push', { command: 'deploy', plan: 'plan.json' });
    expect(stale.code, stale.stdout).toBe(2);
    expect(stale.summary).toMatch(/no longer matches: the tree/);
    expect(edge.stats().purges).toBe(0);
    // Refused before the purge: never pending, only the error the step ends with.
    expect(github.statuses.map((s) => s.state)).toEqual(['error']);

    await rm(join(files.workspace, 'site', 'late.html'));
    const applied = await run('push', { command: 'deploy', plan: 'plan.json' });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const json = JSON.parse(await readFile(applied.outputs.json as string, 'utf8'));
    expect(json.plan.providers).toEqual(plan.providers);
    expect(applied.outputs['purged-urls']).toBe(String(plan.urls));
  });

  it('purge: the urls input purges those URLs through the configured provider', async () => {
    const result = await run('workflow_dispatch', {
      command: 'purge',
      urls: '/index.html\n/about/',
    });
    expect(result.code, result.stdout).toBe(0);
    expect(result.outputs).toMatchObject({ ok: 'true', 'purged-urls': '2' });
    expect(edge.stats().purges).toBeGreaterThan(0);
  });
});
