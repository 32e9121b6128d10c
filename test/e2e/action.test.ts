import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyPreservingMtime } from '../support/copy-preserving.ts';
import {
  FAKE_GITHUB_TOKEN,
  type FakeGitHub,
  githubFaults,
  startFakeGitHub,
} from '../support/fake-github.ts';
import { type ActionRun, type RunnerFiles, runAction, runnerFiles } from '../support/run-action.ts';
import { describeE2E, httpRequest, type Stack, startStack } from '../support/stack.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const HOST = 'www.example.test';
const SHA = 'b'.repeat(40);
const APP_1 = 'console.log("release 1");\n';
const APP_2 = 'console.log("release 2");\n';

// The bundled Action, run the way the runner runs it: `node action.js` with INPUT_* and the
// runner's variables, cwd = the workspace, against real nginx behind Varnish and the GitHub
// fake. action.js is built fresh from src/ into a temp folder (scripts/build.ts --action-only),
// so the test always runs the bundle of the sources it sits beside, never a stale dist/.
describeE2E('the bundled Action on nginx + Varnish with the GitHub fake', () => {
  let work = '';
  let site = '';
  let script = '';
  let stack: Stack | undefined;
  let github: FakeGitHub;
  /** The runner whose workspace holds the publish directory, as checkout + build leave it. */
  let main: RunnerFiles;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'edgepurge-e2e-action-'));
    execFileSync(
      process.execPath,
      ['scripts/build.ts', '--action-only', '--outdir', path.join(work, 'dist')],
      { cwd: REPO, stdio: 'pipe' },
    );
    script = path.join(work, 'dist', 'action.js');
    main = await runnerFiles(path.join(work, 'main'));
    site = path.join(main.workspace, 'site');
    await mkdir(path.join(site, 'assets'), { recursive: true });
    await writeFile(path.join(site, 'index.html'), '<h1>home</h1>\n');
    await writeFile(path.join(site, 'assets', 'app.js'), APP_1);
    await writeFile(path.join(site, 'assets', 'style.css'), 'body{color:black}\n');
    stack = await startStack({ root: site });
    github = await startFakeGitHub();
  });
  afterAll(async () => {
    await stack?.stop();
    await github?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const s = () => {
    if (!stack) throw new Error('stack did not start');
    return stack;
  };
  /**
   * A runner with the config: `main` (the workspace holding the site), else a fresh one whose
   * workspace holds only the config, and an empty RUNNER_TEMP.
   */
  const newRunner = async (extra: Record<string, unknown> = {}, existing?: RunnerFiles) => {
    const files = existing ?? (await runnerFiles(await mkdtemp(path.join(work, 'runner-'))));
    await writeFile(
      path.join(files.workspace, 'edgepurge.config.json'),
      JSON.stringify({
        dir: path.relative(files.workspace, site),
        baseUrl: `http://${HOST}`,
        baseline: 'github:',
        providers: [{ type: 'varnish', endpoints: [s().edgeUrl] }],
        verify: { connectTo: [`${HOST}:80:127.0.0.1:${s().edgePort}`], timeoutSeconds: 3 },
        ...extra,
      }),
    );
    return files;
  };
  const act = (
    files: RunnerFiles,
    event: string,
    inputs: Record<string, string> = {},
    payload: unknown = {},
  ): Promise<ActionRun> =>
    runAction({
      script,
      files,
      inputs: { 'github-token': FAKE_GITHUB_TOKEN, ...inputs },
      event: { name: event, payload },
      env: { GITHUB_API_URL: github.url, GITHUB_SHA: SHA },
    });
  const stored = () => {
    const gz = github.bytesOnBranch('edgepurge-state', 'production/manifest.json.gz');
    return gz === undefined ? undefined : gunzipSync(gz).toString('utf8');
  };
  const edge = (urlPath: string, headers: Record<string, string> = {}) =>
    httpRequest(`${s().edgeUrl}${urlPath}`, { host: HOST, headers });

  it('push: status pending then success; outputs; the baseline stored on the state branch', async () => {
    const run = await act(await newRunner({}, main), 'push');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.outputs).toMatchObject({
      ok: 'true',
      changed: '3',
      verified: '4',
      stale: '0',
      'stale-urls': '[]',
      'baseline-saved': 'true',
    });
    expect(Number(run.outputs.requests)).toBeGreaterThan(0);
    const json = JSON.parse(await readFile(run.outputs.json as string, 'utf8'));
    expect(json).toMatchObject({ ok: true, verify: { ok: true, checked: 4 } });
    expect(run.summary).toContain('✅ edgepurge');
    expect(github.statuses.map((status) => `${status.context} ${status.state}`)).toEqual([
      'edgepurge/production pending',
      'edgepurge/production success',
    ]);
    expect(github.statuses[1]?.target_url).toBe(
      'https://github.example/acme/site/actions/runs/4242',
    );
    expect(Object.keys(JSON.parse(stored() ?? '{}').files ?? {})).toEqual([
      'assets/app.js',
      'assets/style.css',
      'index.html',
    ]);
    expect(github.violations).toEqual([]);
  });

  it('a fresh runner (no local files) reads the stored baseline: nothing changed, no purge', async () => {
    const files = await newRunner();
    expect(existsSync(path.join(files.workspace, '.edgepurge'))).toBe(false);
    const run = await act(files, 'push');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.outputs).toMatchObject({
      ok: 'true',
      changed: '0',
      requests: '0',
      'purged-urls': '0',
    });
    const json = JSON.parse(await readFile(run.outputs.json as string, 'utf8'));
    expect(json.purge).toMatchObject({ requests: 0, urls: 0 });
  });

  it('pull_request: one plan comment, updated (not duplicated) by the next run; 403 → warning', async () => {
    const payload = { number: 12, pull_request: { number: 12 } };
    const statuses = github.statuses.length;
    const files = await newRunner();
    await writeFile(path.join(site, 'about.html'), '<h1>about</h1>\n');
    const first = await act(files, 'pull_request', {}, payload);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.outputs).toMatchObject({ ok: 'true', changed: '1' });
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.body).toContain('about.html');

    await writeFile(path.join(site, 'contact.html'), '<h1>contact</h1>\n');
    const second = await act(files, 'pull_request', {}, payload);
    expect(second.code, second.stdout).toBe(0);
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.body).toContain('contact.html');
    expect(github.comments[0]?.edits).toBe(1);

    github.injectFaults(
      (request) => request.method === 'PATCH' && request.url.includes('/issues/comments/'),
      [githubFaults.forbidden()],
    );
    await writeFile(path.join(site, 'faq.html'), '<h1>faq</h1>\n');
    const forbidden = await act(files, 'pull_request', {}, payload);
    expect(forbidden.code, forbidden.stdout).toBe(0);
    expect(forbidden.stdout).toMatch(/^::warning::/m);
    expect(github.comments).toHaveLength(1);
    expect(github.comments[0]?.body).not.toContain('faq.html');
    expect(github.statuses).toHaveLength(statuses);
  });

  it('two deploys racing on github:: the second to save fails (exit 1, says so), the baseline stays whole', async () => {
    // B reads the baseline, then its upload hook waits until A has deployed and saved.
    const flags = await mkdtemp(path.join(work, 'flags-'));
    const waiting = path.join(flags, 'waiting');
    const go = path.join(flags, 'go');
    const slow = await newRunner({
      hooks: { upload: `touch ${waiting}; while [ ! -f ${go} ]; do sleep 0.1; done` },
    });
    const b = act(slow, 'push');
    while (!existsSync(waiting)) await new Promise((resolve) => setTimeout(resolve, 50));
    const a = await act(await newRunner(), 'push');
    expect(a.code, a.stdout + a.stderr).toBe(0);
    const saved = stored();
    await writeFile(go, '');
    const second = await b;
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(
      /^::error::error: another deploy of production saved a baseline/m,
    );
    expect(second.stdout).toContain('concurrency');
    expect(second.outputs).toMatchObject({ ok: 'false', 'baseline-saved': 'false' });
    expect(stored()).toBe(saved);
    const files = Object.keys(JSON.parse(saved ?? '{}').files);
    expect(files).toEqual([
      'about.html',
      'assets/app.js',
      'assets/style.css',
      'contact.html',
      'faq.html',
      'index.html',
    ]);
    expect(github.statuses.at(-1)).toMatchObject({ state: 'failure' });
  });

  it('the stale-304 (cp -p keeps size and mtime) with fix: none → status failure, ::error on the file', async () => {
    const files = await newRunner({}, main);
    expect((await edge('/assets/app.js')).body).toBe(APP_1);
    await copyPreservingMtime(path.join(site, 'assets', 'app.js'), APP_2, work);
    const run = await act(files, 'push', { fix: 'none' });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ ok: 'false', 'baseline-saved': 'false' });
    expect(JSON.parse(run.outputs['stale-urls'] as string)).toContain(
      `http://${HOST}/assets/app.js`,
    );
    const file = path.relative(files.workspace, path.join(site, 'assets', 'app.js'));
    expect(run.stdout).toMatch(
      new RegExp(
        `^::error title=edgepurge%3A stale,file=${file}::http://${HOST}/assets/app.js is stale`,
        'm',
      ),
    );
    expect(run.summary).toContain('❌');
    expect(github.statuses.at(-1)).toMatchObject({
      state: 'failure',
      context: 'edgepurge/production',
    });
    expect(github.statuses.at(-1)?.description).toMatch(/stale/);
    expect(github.violations).toEqual([]);
  });
});
