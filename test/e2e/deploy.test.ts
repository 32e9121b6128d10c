import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyPreservingMtime } from '../support/copy-preserving.ts';
import { runCli } from '../support/run-cli.ts';
import {
  describeE2E,
  httpRequest,
  type Stack,
  startStack,
  writeStackConfig,
} from '../support/stack.ts';

const HOST = 'www.example.test';
const RELEASE_1 = 'console.log("release 1");\n';
const RELEASE_2 = 'console.log("release 2");\n';

describeE2E('edgepurge deploy on nginx + Varnish', () => {
  let work = '';
  let site = '';
  let stack: Stack | undefined;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'edgepurge-e2e-deploy-'));
    site = path.join(work, 'public');
    await mkdir(path.join(site, 'assets'), { recursive: true });
    await mkdir(path.join(site, 'docs'), { recursive: true });
    await writeFile(path.join(site, 'index.html'), '<h1>home</h1>\n');
    await writeFile(path.join(site, 'docs', 'index.html'), '<h1>docs</h1>\n');
    await writeFile(path.join(site, 'assets', 'app.js'), RELEASE_1);
    await writeFile(path.join(site, 'assets', 'style.css'), 'body{color:black}\n');
    // nginx serves the publish directory itself: the "upload" is the copy into it.
    stack = await startStack({ root: site });
    await writeConfig([stack.edgeUrl]);
  });
  afterAll(async () => {
    await stack?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const s = () => {
    if (!stack) throw new Error('stack did not start');
    return stack;
  };
  const writeConfig = (endpoints: string[], file = 'edgepurge.config.json') =>
    writeStackConfig(work, s(), HOST, { providers: [{ type: 'varnish', endpoints }] }, file);
  const edge = (urlPath: string, headers: Record<string, string> = {}) =>
    httpRequest(`${s().edgeUrl}${urlPath}`, { host: HOST, headers });
  const deploy = async (...args: string[]) => {
    const run = await runCli(['deploy', '--json', ...args], { cwd: work });
    return { ...run, json: JSON.parse(run.stdout) };
  };
  const baseline = () => path.join(work, '.edgepurge', 'baseline.json');

  let releaseOneEtag = '';

  it('first deploy of release 1: verified, baseline saved', async () => {
    const run = await deploy();
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.diff.added).toEqual([
      'assets/app.js',
      'assets/style.css',
      'docs/index.html',
      'index.html',
    ]);
    expect(run.json.verify).toMatchObject({ ok: true, checked: 6 });
    expect(existsSync(baseline())).toBe(true);
    // Visitors warm the edge; a browser keeps the ETag.
    const first = await edge('/assets/app.js');
    expect(first.body).toBe(RELEASE_1);
    expect(first.headers['x-cache']).toBe('HIT');
    releaseOneEtag = String(first.headers.etag);
    expect(releaseOneEtag).toMatch(/^"[0-9a-f]+-1a"$/);
  });

  it('the bug: release 2 copied with cp -p keeps size and mtime; the edge serves old bytes and 304s the old ETag', async () => {
    const app = path.join(site, 'assets', 'app.js');
    const mtime = await copyPreservingMtime(app, RELEASE_2, work);
    expect(Math.floor((await stat(app)).mtimeMs / 1000)).toBe(Math.floor(mtime.getTime() / 1000));

    const plain = await edge('/assets/app.js');
    expect(plain.body).toBe(RELEASE_1);
    const conditional = await edge('/assets/app.js', { 'if-none-match': releaseOneEtag });
    expect(conditional.status).toBe(304);
    // nginx itself now serves the new bytes under the very same ETag.
    const origin = await httpRequest(`${s().originUrl}/assets/app.js`);
    expect(origin.body).toBe(RELEASE_2);
    expect(origin.headers.etag).toBe(releaseOneEtag);
  });

  it('edgepurge deploy finds the hazard, touches, purges, and proves the new bytes', async () => {
    const before = await readFile(baseline(), 'utf8');
    const run = await deploy();
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.diff.changed).toEqual(['assets/app.js']);
    expect(run.json.diff.hazards).toEqual([{ path: 'assets/app.js', kind: 'validator-unchanged' }]);
    expect(run.json.fixed.touched).toEqual(['assets/app.js']);
    expect(run.json.purge).toMatchObject({ requests: 1, urls: 1, failed: [] });
    expect(run.json.verify).toMatchObject({ ok: true, checked: 1, stale: [] });
    expect(await readFile(baseline(), 'utf8')).not.toBe(before);

    const fresh = await edge('/assets/app.js');
    expect(fresh.body).toBe(RELEASE_2);
    expect(fresh.headers.etag).not.toBe(releaseOneEtag);
    const conditional = await edge('/assets/app.js', { 'if-none-match': releaseOneEtag });
    expect(conditional.status).toBe(200);
    expect(conditional.body).toBe(RELEASE_2);
  });

  it('a second deploy with no change sends no purge and exits 0', async () => {
    const before = await readFile(baseline(), 'utf8');
    const run = await deploy();
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.purge).toMatchObject({ requests: 0, urls: 0 });
    expect(run.json.diff).toMatchObject({ added: [], changed: [], removed: [] });
    expect(JSON.parse(await readFile(baseline(), 'utf8')).files).toEqual(JSON.parse(before).files);
  });

  it('a Varnish node that cannot be reached: exit 1 naming it, baseline not written', async () => {
    await writeFile(path.join(site, 'assets', 'style.css'), 'body{color:red}\n');
    const before = await readFile(baseline(), 'utf8');
    await writeConfig([s().edgeUrl, 'http://127.0.0.1:9'], 'unreachable.json');
    const run = await deploy('--config', 'unreachable.json');
    expect(run.code).toBe(1);
    expect(run.json.ok).toBe(false);
    expect(run.json.purge.failed[0].error).toContain('http://127.0.0.1:9');
    expect(run.stdout + run.stderr).not.toMatch(/this is a bug/);
    expect(run.json.baseline.saved).toBe(false);
    expect(await readFile(baseline(), 'utf8')).toBe(before);
    // With the node back in the config the same release deploys and verifies.
    const retry = await deploy();
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.json.diff.changed).toEqual(['assets/style.css']);
  });

  it.each([
    { name: 'an unknown key', patch: { purgeEverything: true }, key: 'purgeEverything' },
    { name: 'a missing dir', patch: { dir: undefined }, key: 'dir' },
    { name: 'an invalid baseUrl', patch: { baseUrl: 'not a url' }, key: 'baseUrl' },
  ])(
    'bad config ($name): exit 2 naming the key, nothing sent or written',
    async ({ patch, key }) => {
      const config = JSON.parse(await readFile(path.join(work, 'edgepurge.config.json'), 'utf8'));
      await writeFile(path.join(work, 'bad.json'), JSON.stringify({ ...config, ...patch }));
      const before = await readFile(baseline(), 'utf8');
      await writeFile(path.join(site, 'assets', 'app.js'), 'console.log("release 3");\n');
      const cached = await edge('/assets/app.js');
      const run = await runCli(['deploy', '--config', 'bad.json'], { cwd: work });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(key);
      expect(run.stderr).toContain('hint:');
      expect(await readFile(baseline(), 'utf8')).toBe(before);
      // Nothing was purged: the edge still holds the object it had.
      const after = await edge('/assets/app.js');
      expect(after.headers['x-cache']).toBe('HIT');
      expect(after.body).toBe(cached.body);
    },
  );

  it('purge --prefix BANs the directory on the real edge; --url PURGEs one object', async () => {
    await edge('/assets/style.css');
    expect((await edge('/assets/style.css')).headers['x-cache']).toBe('HIT');
    const ban = await runCli(['purge', '--prefix', '/assets/'], { cwd: work });
    expect(ban.code, ban.stderr).toBe(0);
    expect(ban.stdout).toContain('1 prefixes');
    expect((await edge('/assets/style.css')).headers['x-cache']).toBe('MISS');
    expect((await edge('/assets/style.css')).headers['x-cache']).toBe('HIT');
    const purge = await runCli(['purge', '--url', `http://${HOST}/assets/style.css`], {
      cwd: work,
    });
    expect(purge.code, purge.stderr).toBe(0);
    expect((await edge('/assets/style.css')).headers['x-cache']).toBe('MISS');
  });
});
