/**
 * Every verification check seen failing and then passing on real nginx behind real Varnish,
 * through the CLI as a user runs it: a stale edge and a stale origin told apart (verify.origin),
 * a wrong Cache-Control, a removed file still cached, a redirect, a stale gzip variant, and the
 * time to fresh when a purge lands while `verify` polls.
 *
 * The publish directory is `build/`; nginx serves `www/`, and the upload hook copies one to the
 * other, so "the upload did not happen" is a config without the hook.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Check, UrlReport, VerifyReport } from '../../src/verify/report-types.ts';
import { BIN, runCli } from '../support/run-cli.ts';
import { describeE2E, httpRequest, type Stack, startStack } from '../support/stack.ts';

const HOST = 'www.example.test';
const SITE = `http://${HOST}`;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describeE2E('verify checks on nginx + Varnish', () => {
  let work = '';
  let stack: Stack | undefined;
  const build = (...parts: string[]) => path.join(work, 'build', ...parts);

  const s = () => {
    if (!stack) throw new Error('stack did not start');
    return stack;
  };
  const put = async (file: string, text: string) => {
    await mkdir(path.dirname(build(file)), { recursive: true });
    await writeFile(build(file), text);
  };
  /** A config file: the base one, patched. */
  const writeConfig = (name: string, patch: Record<string, unknown> = {}) =>
    writeFile(
      path.join(work, name),
      JSON.stringify({
        dir: 'build',
        baseUrl: SITE,
        baseline: '.edgepurge/baseline.json',
        providers: [{ type: 'varnish', endpoints: [s().edgeUrl] }],
        verify: {
          connectTo: [`${HOST}:80:127.0.0.1:${s().edgePort}`],
          origin: s().originUrl,
          timeoutSeconds: 1,
        },
        // What rsync -a --delete would do, without rsync.
        hooks: {
          upload: 'rm -rf www.next && cp -Rp build www.next && rm -rf www && mv www.next www',
        },
        ...patch,
      }),
    );
  const deploy = async (config = 'edgepurge.config.json') => {
    const run = await runCli(['deploy', '--json', '--config', config], { cwd: work });
    const json = JSON.parse(run.stdout) as { ok: boolean; verify: VerifyReport };
    return { ...run, json, verify: json.verify };
  };
  const url = (report: VerifyReport, u: string): UrlReport => {
    const found = report.urls.find((entry) => entry.url === u);
    if (!found)
      throw new Error(`${u} not verified; got ${report.urls.map((e) => e.url).join(', ')}`);
    return found;
  };
  const check = (report: UrlReport, id: Check['id']): Check => {
    const found = report.checks.find((entry) => entry.id === id);
    if (!found)
      throw new Error(`no ${id} check for ${report.url}: ${JSON.stringify(report.checks)}`);
    return found;
  };
  const edge = (urlPath: string, headers: Record<string, string> = {}) =>
    httpRequest(`${s().edgeUrl}${urlPath}`, { host: HOST, headers });

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'edgepurge-e2e-verify-'));
    await put('index.html', '<h1>home</h1>\n');
    await put('assets/app.js', 'console.log("app 1");\n');
    await put('assets/site.css', 'body{color:black}\n');
    await put('static/app.3f9a1c2b.js', 'console.log("hashed");\n');
    await put('guides/intro/index.html', '<h1>intro 1</h1>\n');
    await put('old.txt', 'soon gone\n');
    await put('precompressed/app.js', 'console.log("precompressed 1");\n');
    execFileSync('gzip', ['-k', '-n', build('precompressed/app.js')]);
    // Release 1 is an hour old, so every later change moves Last-Modified (HTTP dates count
    // whole seconds; a change within the same second keeps it, and If-Modified-Since gets 304).
    execFileSync('find', [build(), '-exec', 'touch', '-d', '1 hour ago', '{}', '+']);
    await mkdir(path.join(work, 'www'));
    stack = await startStack({ root: path.join(work, 'www') });
    await writeConfig('edgepurge.config.json');
    await writeConfig('no-purge.json', { providers: [] });
    await writeConfig('no-upload.json', { hooks: {} });
    await writeConfig('clean.json', { urls: { cleanUrls: true } });
    await writeConfig('clean-no-purge.json', { urls: { cleanUrls: true }, providers: [] });
  });
  afterAll(async () => {
    await stack?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('release 1 deploys and verifies; the edge caches it', async () => {
    const run = await deploy();
    expect(run.code, run.stderr).toBe(0);
    expect(run.verify).toMatchObject({ ok: true, stale: [] });
    // The gzip_static file: Varnish stores nginx's .gz; both encodings decode to the file.
    const pre = url(run.verify, `${SITE}/precompressed/app.js`);
    expect(check(pre, 'variant')).toMatchObject({
      ok: true,
      seen: expect.stringContaining('(gzip)'),
    });
    expect(check(pre, 'origin').ok).toBe(true);
    // Cache status headers as Varnish sent them.
    expect(Object.keys(url(run.verify, `${SITE}/assets/app.js`).cache).sort()).toEqual([
      'age',
      'via',
      'x-cache',
    ]);
    expect((await edge('/assets/app.js')).headers['x-cache']).toBe('HIT');
    expect((await edge('/old.txt')).headers['x-cache']).toBe('HIT');
  });

  it('stale edge: uploaded but not purged → edge-stale; purged → fresh, validators changed', async () => {
    await put('assets/app.js', 'console.log("app 2, longer");\n');
    const stale = await deploy('no-purge.json');
    expect(stale.code).toBe(1);
    const app = `${SITE}/assets/app.js`;
    expect(stale.verify.stale).toEqual([
      {
        url: app,
        // The model's why: the edge serves the ETag the previous release had.
        reason:
          "the edge still serves the previous body: the purge did not take at the edge; why: the edge still serves the previous release's ETag: the purge did not reach it, or it fetched again before the upload finished",
        diagnosis: 'edge-stale',
      },
    ]);
    const report = url(stale.verify, app);
    expect(check(report, 'origin').ok).toBe(true);
    expect(check(report, 'body').ok).toBe(false);
    expect(report.cache['x-cache']).toBe('HIT');
    expect(report.attempts).toBeGreaterThan(1);

    const fresh = await deploy();
    expect(fresh.code, fresh.stderr).toBe(0);
    const ok = url(fresh.verify, app);
    expect(ok).toMatchObject({ fresh: true, diagnosis: 'fresh' });
    for (const id of [
      'origin',
      'body',
      'etag-changed',
      'conditional-etag',
      'conditional-date',
    ] as const)
      expect(check(ok, id).ok, id).toBe(true);
  });

  it('stale origin: purged but not uploaded → origin-stale; uploaded → fresh', async () => {
    await put('assets/site.css', 'body{color:rebeccapurple}\n');
    const stale = await deploy('no-upload.json');
    expect(stale.code).toBe(1);
    expect(stale.verify.stale).toEqual([
      {
        url: `${SITE}/assets/site.css`,
        reason:
          "the origin serves other bytes: the upload did not reach the origin; why: the origin still serves the previous release's file: the upload did not reach it (another root, another host?)",
        diagnosis: 'origin-stale',
      },
    ]);
    const fresh = await deploy();
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(url(fresh.verify, `${SITE}/assets/site.css`)).toMatchObject({
      fresh: true,
      diagnosis: 'fresh',
    });
  });

  it('wrong Cache-Control: HTML under the year-long /static/ fails at once; moved out, it passes', async () => {
    await put('static/about.html', '<h1>about</h1>\n');
    await put('static/legacy.js', 'console.log("no hash in this name");\n');
    const wrong = await deploy();
    expect(wrong.code).toBe(1);
    const page = url(wrong.verify, `${SITE}/static/about.html`);
    // A policy error is final: no polling.
    expect(page).toMatchObject({ fresh: false, attempts: 1, diagnosis: 'fresh' });
    expect(check(page, 'body').ok).toBe(true);
    expect(check(page, 'cache-policy')).toMatchObject({
      ok: false,
      severity: 'error',
      seen: 'public, max-age=31536000, immutable',
    });
    expect(page.reason).toMatch(/^HTML must revalidate/);
    // The un-hashed asset there is a warning that names the root cause, not a failure.
    expect(url(wrong.verify, `${SITE}/static/legacy.js`).fresh).toBe(true);
    expect(wrong.verify.warnings).toEqual([
      expect.objectContaining({
        id: 'cache-policy',
        url: `${SITE}/static/legacy.js`,
        message: expect.stringContaining('the next deploy will be stale again'),
      }),
    ]);

    await rename(build('static/about.html'), build('about.html'));
    const fixed = await deploy();
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(check(url(fixed.verify, `${SITE}/about.html`), 'cache-policy')).toMatchObject({
      ok: true,
      seen: 'no-cache',
    });
  });

  it('a removed file still cached at the edge fails; purged, it answers 404', async () => {
    await rm(build('old.txt'));
    const stale = await deploy('no-purge.json');
    expect(stale.code).toBe(1);
    expect(stale.verify.stale).toEqual([
      {
        url: `${SITE}/old.txt`,
        reason: 'removed file still answers 200 at the edge: the purge did not take at the edge',
        diagnosis: 'edge-stale',
      },
    ]);
    expect(check(url(stale.verify, `${SITE}/old.txt`), 'origin')).toMatchObject({
      ok: true,
      seen: '404',
    });
    const gone = await deploy();
    expect(gone.code, gone.stderr).toBe(0);
    expect(check(url(gone.verify, `${SITE}/old.txt`), 'removed')).toMatchObject({
      ok: true,
      seen: '404',
    });
    expect((await edge('/old.txt')).status).toBe(404);
  });

  it('a redirect (nginx return 301) is followed; its target stale, then fresh', async () => {
    await put('guides/intro/index.html', '<h1>intro 2</h1>\n');
    const clean = `${SITE}/guides/intro`;
    const chain = `${clean} → 301 ${clean}/ → 200`;
    const stale = await deploy('clean-no-purge.json');
    expect(stale.code).toBe(1);
    const before = url(stale.verify, clean);
    expect(before).toMatchObject({ fresh: false, finalUrl: `${clean}/`, diagnosis: 'edge-stale' });
    expect(check(before, 'redirect')).toMatchObject({ ok: true, seen: chain });
    expect(check(before, 'body')).toMatchObject({ ok: false, url: `${clean}/` });

    const fresh = await deploy('clean.json');
    expect(fresh.code, fresh.stderr).toBe(0);
    const after = url(fresh.verify, clean);
    expect(after).toMatchObject({ fresh: true, finalUrl: `${clean}/` });
    expect(check(after, 'redirect')).toMatchObject({ ok: true, seen: chain });
    expect(check(after, 'body').ok).toBe(true);
  });

  it('a stale precompressed .gz beside a fresh file: the gzip variant fails (origin-stale); rebuilt, it passes', async () => {
    const file = `${SITE}/precompressed/app.js`;
    const next = 'console.log("precompressed 2, longer");\n';
    await put('precompressed/app.js', next);
    const stale = await deploy();
    expect(stale.code).toBe(1);
    const report = url(stale.verify, file);
    expect(check(report, 'variant')).toMatchObject({
      ok: false,
      seen: expect.stringMatching(/\(gzip, the previous body\)$/),
    });
    expect(report.diagnosis).toBe('origin-stale');
    expect(report.reason).toMatch(/^the origin's gzip variant is stale/);

    execFileSync('gzip', ['-k', '-f', '-n', build('precompressed/app.js')]);
    const fresh = await deploy();
    expect(fresh.code, fresh.stderr).toBe(0);
    const ok = url(fresh.verify, file);
    expect(check(ok, 'variant')).toMatchObject({
      ok: true,
      expected: `200, decodes to sha256 ${sha(next).slice(0, 12)}…`,
    });
    expect(check(ok, 'body').ok).toBe(true);
  });

  it('time to fresh: a purge lands while verify polls; the URL turns fresh after it', async () => {
    const next = 'console.log("app 3, purged by hand");\n';
    await put('assets/app.js', next);
    // The upload, by hand: verify does not run the hook.
    execFileSync('cp', ['-p', build('assets/app.js'), path.join(work, 'www/assets/app.js')]);
    const child = spawn(
      process.execPath,
      [BIN, 'verify', '--json', '--previous', '.edgepurge/baseline.json', '--timeout', '10'],
      { cwd: work, env: { PATH: process.env.PATH, HOME: process.env.HOME } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    const polling = new Promise<void>((resolve) => {
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.includes('polling until fresh')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await Promise.race([polling, exited]);
    expect(stderr).toContain(`verify: ${SITE}/assets/app.js stale (body sha256`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const purge = await httpRequest(`${s().edgeUrl}/assets/app.js`, {
      method: 'PURGE',
      host: HOST,
    });
    expect(purge.status).toBe(200);
    expect(await exited, stderr).toBe(0);
    const report = JSON.parse(stdout) as VerifyReport;
    expect(report.ok).toBe(true);
    const app = url(report, `${SITE}/assets/app.js`);
    expect(app.fresh).toBe(true);
    expect(app.attempts).toBeGreaterThan(1);
    expect(app.timeToFreshMs).toBeGreaterThanOrEqual(1000);
    expect(app.timeToFreshMs).toBeLessThan(10_000);
  });
});
