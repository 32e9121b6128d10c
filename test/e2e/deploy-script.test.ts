/**
 * examples/deploy.sh run as a user runs it (`sh examples/deploy.sh …`, a separate process),
 * against real nginx behind Varnish: the build, `edgepurge deploy --json` with the upload in
 * `hooks.upload`, the JSON artifact, and the script's answer to each exit code.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config/load-config.ts';
import { copyPreservingMtime } from '../support/copy-preserving.ts';
import { BIN } from '../support/run-cli.ts';
import { type ProcessRun, runProcess } from '../support/run-process.ts';
import { describeE2E, httpRequest, type Stack, startStack } from '../support/stack.ts';

const SCRIPT = fileURLToPath(new URL('../../examples/deploy.sh', import.meta.url));
const EXAMPLE_CONFIG = fileURLToPath(new URL('../../examples/deploy.config.yaml', import.meta.url));
const WORKFLOW = fileURLToPath(new URL('../../examples/github/deploy.yml', import.meta.url));
const ACTION = fileURLToPath(new URL('../../action.yml', import.meta.url));
// The Action's contract (issue 7): the inputs and outputs a workflow may use.
const ACTION_INPUTS = [
  'command',
  'config',
  'dir',
  'base-url',
  'baseline',
  'environment',
  'dry-run',
  'fix',
  'connect-to',
  'report',
  'urls',
  'prefixes',
  'tags',
  'hosts',
  'everything',
  'github-token',
  'comment',
  'status',
];
const ACTION_OUTPUTS = [
  'ok',
  'changed',
  'purged-urls',
  'requests',
  'verified',
  'stale',
  'stale-urls',
  'baseline-saved',
  'json',
];
// The script splits EDGEPURGE into words: the project's Node 24 (the one running the tests).
const EDGEPURGE = `${process.execPath} ${BIN}`;

const HOST = 'www.example.test';
// Three releases of one file, all the same size: same size + kept mtime = same nginx ETag.
const RELEASE_1 = 'console.log("release 1");\n';
const RELEASE_2 = 'console.log("release 2");\n';
const RELEASE_3 = 'console.log("release 3");\n';

/** `sh examples/deploy.sh ARGS` in `cwd` with a clean environment plus `env`, no TTY. */
function runScript(
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<ProcessRun> {
  return runProcess('sh', [SCRIPT, ...args], {
    cwd,
    env: {
      // Node first on PATH: the script uses it to name what failed, as a user's shell would.
      PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
      HOME: process.env.HOME,
      EDGEPURGE,
      ...env,
    },
  });
}

const countLines = async (file: string) =>
  existsSync(file) ? (await readFile(file, 'utf8')).split('\n').filter(Boolean).length : 0;

describe('examples/deploy.sh without a stack', () => {
  let work = '';
  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'edgepurge-deploy-sh-'));
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('the companion config examples/deploy.config.yaml is a valid config', async () => {
    const config = await loadConfig({ configPath: EXAMPLE_CONFIG, cwd: work, env: {} });
    expect(config.hooks.upload).toMatch(/^rsync -a /);
    expect(config.fix).toBe('touch');
  });

  it('a failed build stops before edgepurge runs: exit 1, no report', async () => {
    const run = await runScript([], work, { BUILD_CMD: 'echo compiling; exit 3' });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('compiling');
    expect(run.stdout).toContain('the build failed (exit 3); nothing was uploaded or purged');
    expect(await readFile(path.join(work, 'edgepurge-report.json'), 'utf8')).toBe('');
  });

  it('an EDGEPURGE that does not run: its exit code passes through with a hint', async () => {
    const run = await runScript([], work, { BUILD_CMD: '', EDGEPURGE: '/nonexistent/edgepurge' });
    expect(run.code).toBe(127);
    expect(run.stdout).toContain('edgepurge exited with 127 without a result');
    expect(run.stdout).toContain('EDGEPURGE="/nonexistent/edgepurge"');
  });

  it('a REPORT_JSON that cannot be written: exit 2 before the build', async () => {
    await writeFile(path.join(work, 'a-file'), '');
    const run = await runScript([], work, {
      BUILD_CMD: 'touch built',
      REPORT_JSON: 'a-file/report.json',
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('cannot write REPORT_JSON=a-file/report.json');
    expect(existsSync(path.join(work, 'built'))).toBe(false);
  });
});

describe('examples/github/deploy.yml', () => {
  /** A GitHub Actions expression as the workflow spells it: `${{ inner }}`. */
  const gh = (inner: string) => `\${{ ${inner} }}`;
  interface Step {
    id?: string;
    uses?: string;
    with?: Record<string, string>;
    env?: Record<string, string>;
  }
  const load = async () => {
    const text = await readFile(WORKFLOW, 'utf8');
    const doc = parseYaml(text, { uniqueKeys: true });
    const steps: Step[] = doc.jobs.deploy.steps;
    const step = steps.find((candidate) => candidate.uses?.endsWith('/edgepurge@v1'));
    const outputs = [...text.matchAll(/steps\.edgepurge\.outputs\.([a-z-]+)/g)].map((m) => m[1]);
    return { doc, step, outputs };
  };

  it('parses, queues deploys per environment, and asks only the permissions it needs', async () => {
    const { doc, step } = await load();
    expect(Object.keys(doc.on).sort()).toEqual(['pull_request', 'push']);
    expect(doc.concurrency).toEqual({
      group: `edgepurge-${gh("github.ref == 'refs/heads/main' && 'production' || github.ref")}`,
      'cancel-in-progress': false,
    });
    expect(doc.permissions).toEqual({
      contents: 'write',
      statuses: 'write',
      'pull-requests': 'write',
    });
    expect(step?.id).toBe('edgepurge');
    expect(step?.with).toMatchObject({ baseline: 'github:', environment: 'production' });
    expect(step?.env).toEqual({ CLOUDFLARE_API_TOKEN: gh('secrets.CLOUDFLARE_API_TOKEN') });
  });

  it("uses only the Action's documented inputs and outputs", async () => {
    const { step, outputs } = await load();
    expect(ACTION_INPUTS).toEqual(expect.arrayContaining(Object.keys(step?.with ?? {})));
    expect(outputs.length).toBeGreaterThan(0);
    expect(ACTION_OUTPUTS).toEqual(expect.arrayContaining(outputs));
  });

  it('action.yml declares every input and output it uses', async () => {
    const { step, outputs } = await load();
    const action = parseYaml(await readFile(ACTION, 'utf8'));
    expect(Object.keys(action.inputs)).toEqual(
      expect.arrayContaining(Object.keys(step?.with ?? {})),
    );
    expect(Object.keys(action.outputs)).toEqual(expect.arrayContaining(outputs));
  });
});

describeE2E('examples/deploy.sh on nginx + Varnish', () => {
  let work = '';
  let site = '';
  let docroot = '';
  let stack: Stack | undefined;

  const s = () => {
    if (!stack) throw new Error('stack did not start');
    return stack;
  };
  const file = (...parts: string[]) => path.join(work, ...parts);
  const edge = (urlPath: string, headers: Record<string, string> = {}) =>
    httpRequest(`${s().edgeUrl}${urlPath}`, { host: HOST, headers });
  const config = () => ({
    dir: 'public',
    baseUrl: `http://${HOST}`,
    baseline: '.edgepurge/baseline.json',
    providers: [{ type: 'varnish', endpoints: [s().edgeUrl] }],
    verify: { connectTo: [`${HOST}:80:127.0.0.1:${s().edgePort}`], timeoutSeconds: 3 },
    hooks: {
      // `cp -p` keeps mtimes, as rsync -a does: the hazard edgepurge must fix, and the reason
      // a touched mtime reaches nginx. The log counts the uploads that ran.
      upload: `cp -Rp public/. '${docroot}/' && echo uploaded >> upload.log`,
    },
  });
  // The build the script runs first: here it only leaves a trace (the site is written by the test).
  const deploySh = (args: string[] = [], env: Record<string, string> = {}) =>
    runScript(args, work, { BUILD_CMD: 'echo built >> build.log', ...env });
  const artifact = async (name = 'edgepurge-report.json') =>
    JSON.parse(await readFile(file(name), 'utf8'));
  const baseline = () => readFile(file('.edgepurge', 'baseline.json'), 'utf8');

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'edgepurge-e2e-deploy-sh-'));
    site = file('public');
    docroot = file('docroot');
    await mkdir(path.join(site, 'assets'), { recursive: true });
    await mkdir(docroot);
    await writeFile(path.join(site, 'index.html'), '<h1>home</h1>\n');
    await writeFile(path.join(site, 'assets', 'app.js'), RELEASE_1);
    // nginx serves the docroot, which only the upload hook fills.
    stack = await startStack({ root: docroot });
    await writeFile(file('edgepurge.config.json'), JSON.stringify(config()));
  });
  afterAll(async () => {
    await stack?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  let releaseOneEtag = '';

  it('first deploy: builds, uploads, verifies; exit 0 and the artifact says ok', async () => {
    expect((await edge('/assets/app.js')).status).toBe(404);
    const run = await deploySh();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('deploy.sh: build: echo built >> build.log');
    expect(run.stdout).toContain('deployed and verified');
    expect(run.stdout).toContain('edgepurge-report.json');
    // stdout carries the script's lines only; the JSON went to the artifact, progress to stderr.
    expect(run.stdout).not.toContain('"ok"');
    expect(run.stderr).toContain('upload: cp -Rp public/.');
    const json = await artifact();
    expect(json).toMatchObject({ ok: true, dryRun: false, upload: { ran: true } });
    expect(json.diff.added).toEqual(['assets/app.js', 'index.html']);
    expect(json.baseline.saved).toBe(true);
    expect(await countLines(file('build.log'))).toBe(1);
    expect(await countLines(file('upload.log'))).toBe(1);

    const served = await edge('/assets/app.js');
    expect(served.body).toBe(RELEASE_1);
    expect((await edge('/assets/app.js')).headers['x-cache']).toBe('HIT');
    releaseOneEtag = String(served.headers.etag);
  });

  it('release 2 built with the same size and mtime: the touch fix carries through the upload; exit 0, new bytes at the edge', async () => {
    await copyPreservingMtime(path.join(site, 'assets', 'app.js'), RELEASE_2, work);
    const run = await deploySh([], { REPORT_JSON: 'reports/release-2.json' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('report in reports/release-2.json');
    const json = await artifact('reports/release-2.json');
    expect(json.ok).toBe(true);
    expect(json.diff.hazards).toEqual([{ path: 'assets/app.js', kind: 'validator-unchanged' }]);
    expect(json.fixed.touched).toEqual(['assets/app.js']);
    expect(json.verify).toMatchObject({ ok: true, stale: [] });

    // A curl through Varnish, and a browser revalidating with the ETag it kept.
    const fresh = await edge('/assets/app.js');
    expect(fresh.body).toBe(RELEASE_2);
    expect(fresh.headers.etag).not.toBe(releaseOneEtag);
    const revalidated = await edge('/assets/app.js', { 'if-none-match': releaseOneEtag });
    expect(revalidated.status).toBe(200);
    expect(revalidated.body).toBe(RELEASE_2);
  });

  it('a broken config: exit 2, "nothing was changed", no upload, no purge, baseline as it was', async () => {
    await writeFile(file('bad.json'), JSON.stringify({ ...config(), purgeEverything: true }));
    const before = await baseline();
    const uploads = await countLines(file('upload.log'));
    expect((await edge('/assets/app.js')).headers['x-cache']).toBe('HIT');
    const run = await deploySh(['--config', 'bad.json']);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('nothing was changed');
    expect(run.stderr).toContain('purgeEverything');
    expect(run.stderr).toContain('hint:');
    const json = await artifact();
    expect(json.ok).toBe(false);
    expect(json.error.message).toContain('purgeEverything');
    expect(await baseline()).toBe(before);
    expect(await countLines(file('upload.log'))).toBe(uploads);
    const cached = await edge('/assets/app.js');
    expect(cached.headers['x-cache']).toBe('HIT');
    expect(cached.body).toBe(RELEASE_2);
  });

  it('--fix none on a same-size same-mtime change: verification fails, exit 1, ok:false, baseline not saved; the next run fixes it', async () => {
    const kept = (await edge('/assets/app.js')).headers.etag;
    await copyPreservingMtime(path.join(site, 'assets', 'app.js'), RELEASE_3, work);
    const before = await baseline();
    const run = await deploySh(['--fix', 'none']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toContain('the deploy FAILED');
    expect(run.stdout).toContain('baseline was not saved');
    expect(run.stdout).toContain('what failed and why: edgepurge-report.json');
    expect(run.stdout).toMatch(/stale: http:\/\/www\.example\.test\/assets\/app\.js: \S/);
    const json = await artifact();
    expect(json.ok).toBe(false);
    expect(json.upload.ran).toBe(true);
    expect(json.baseline.saved).toBe(false);
    expect(json.verify.ok).toBe(false);
    expect(json.verify.stale.map((entry: { url: string }) => entry.url)).toContain(
      `http://${HOST}/assets/app.js`,
    );
    expect(await baseline()).toBe(before);
    // The bug as visitors meet it: the old ETag still gets a 304.
    expect((await edge('/assets/app.js', { 'if-none-match': String(kept) })).status).toBe(304);

    const retry = await deploySh();
    expect(retry.code, retry.stderr).toBe(0);
    expect((await artifact()).fixed.touched).toEqual(['assets/app.js']);
    const fresh = await edge('/assets/app.js', { 'if-none-match': String(kept) });
    expect(fresh.status).toBe(200);
    expect(fresh.body).toBe(RELEASE_3);
  });

  it('--dry-run passes through: exit 0, the plan in the artifact, nothing uploaded, purged or saved', async () => {
    await writeFile(path.join(site, 'index.html'), '<h1>home, v2</h1>\n');
    const before = await baseline();
    const uploads = await countLines(file('upload.log'));
    const run = await deploySh(['--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('dry run: nothing was uploaded, purged or saved');
    const json = await artifact();
    expect(json).toMatchObject({ ok: true, dryRun: true });
    expect(json.diff.changed).toEqual(['index.html']);
    expect(json.requests.length).toBeGreaterThan(0);
    expect(await baseline()).toBe(before);
    expect(await countLines(file('upload.log'))).toBe(uploads);
    expect((await edge('/')).body).toBe('<h1>home</h1>\n');
  });

  it('an upload hook that fails: exit 1 with its error named, nothing purged, baseline as it was', async () => {
    await writeFile(
      file('failing-upload.json'),
      JSON.stringify({ ...config(), hooks: { upload: 'echo "no route to host" >&2; exit 7' } }),
    );
    const before = await baseline();
    const run = await deploySh(['--config', 'failing-upload.json']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('no route to host');
    expect(run.stdout).toContain('the deploy FAILED');
    expect(run.stdout).toContain('upload hook exited with 7');
    expect(run.stdout).toContain('hint: nothing was purged');
    const json = await artifact();
    expect(json).toMatchObject({ ok: false, upload: { ran: false }, baseline: { saved: false } });
    expect(json.purge.requests).toBe(0);
    expect(await baseline()).toBe(before);
    expect((await edge('/')).body).toBe('<h1>home</h1>\n');
  });
});
