import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyPreservingMtime } from '../support/copy-preserving.ts';
import {
  type FakeCloudflare,
  type PurgeBody,
  startFakeCloudflare,
} from '../support/fake-cloudflare.ts';
import { runCli } from '../support/run-cli.ts';
import { describeE2E, httpRequest, type Stack, startStack } from '../support/stack.ts';

const HOST = 'www.example.test';
const ZONE = '0123456789abcdef0123456789abcdef';
const TOKEN = 'cf-e2e-token-3c2b1a0f9e8d7c6b5a49';
const RELEASE_1 = 'console.log("release 1");\n';
const RELEASE_2 = 'console.log("release 2");\n';
const APP_URL = `http://${HOST}/assets/app.js`;

describeE2E('Cloudflare provider purging into real Varnish in front of nginx', () => {
  let work = '';
  let site = '';
  let stack: Stack | undefined;
  let fake: FakeCloudflare | undefined;
  /** What the fake forwarded into Varnish, and what Varnish answered. */
  const forwarded: string[] = [];

  const s = () => {
    if (!stack) throw new Error('stack did not start');
    return stack;
  };
  const f = () => {
    if (!fake) throw new Error('fake Cloudflare did not start');
    return fake;
  };

  /** The "CDN" side of an accepted purge: evict each purged object from Varnish. */
  async function forwardToVarnish(body: PurgeBody): Promise<void> {
    for (const file of body.files ?? []) {
      const target = new URL(typeof file === 'string' ? file : (file.url ?? ''));
      const answer = await httpRequest(`${s().edgeUrl}${target.pathname}${target.search}`, {
        method: 'PURGE',
        host: target.host,
      });
      forwarded.push(`PURGE ${target.host}${target.pathname} ${answer.status}`);
      if (answer.status !== 200) throw new Error(`Varnish answered PURGE with ${answer.status}`);
    }
    for (const prefix of body.prefixes ?? []) {
      const slash = prefix.indexOf('/');
      const answer = await httpRequest(s().edgeUrl, {
        method: 'BAN',
        host: prefix.slice(0, slash),
        headers: { 'x-ban-path': prefix.slice(slash) },
      });
      forwarded.push(`BAN ${prefix} ${answer.status}`);
      if (answer.status !== 200) throw new Error(`Varnish answered BAN with ${answer.status}`);
    }
  }

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'edgepurge-e2e-cloudflare-'));
    site = path.join(work, 'public');
    await mkdir(path.join(site, 'assets'), { recursive: true });
    await writeFile(path.join(site, 'index.html'), '<h1>home</h1>\n');
    await writeFile(path.join(site, 'assets', 'app.js'), RELEASE_1);
    await writeFile(path.join(site, 'assets', 'style.css'), 'body{color:black}\n');
    stack = await startStack({ root: site });
    fake = await startFakeCloudflare({ token: TOKEN, zoneId: ZONE, onPurge: forwardToVarnish });
    await writeFile(
      path.join(work, 'edgepurge.config.json'),
      JSON.stringify({
        dir: 'public',
        baseUrl: `http://${HOST}`,
        baseline: '.edgepurge/baseline.json',
        providers: [{ type: 'cloudflare', zoneId: ZONE, plan: 'free' }],
        verify: { connectTo: [`${HOST}:80:127.0.0.1:${s().edgePort}`], timeoutSeconds: 3 },
      }),
    );
  });
  afterAll(async () => {
    await fake?.server.close();
    await stack?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const env = () => ({ CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_BASE_URL: f().url });
  const edge = (urlPath: string, headers: Record<string, string> = {}) =>
    httpRequest(`${s().edgeUrl}${urlPath}`, { host: HOST, headers });
  const deploy = async () => {
    const run = await runCli(['deploy', '--json'], { cwd: work, env: env() });
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
    return { ...run, json: JSON.parse(run.stdout) };
  };
  const baseline = () => path.join(work, '.edgepurge', 'baseline.json');

  let releaseOneEtag = '';

  it('release 1 deploys through Cloudflare and verifies; visitors warm Varnish', async () => {
    const run = await deploy();
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.verify).toMatchObject({ ok: true, checked: 4 });
    expect(existsSync(baseline())).toBe(true);
    expect(f().server.requests.length).toBeGreaterThan(0);
    expect(f().server.requests[0]?.url).toBe(`/client/v4/zones/${ZONE}/purge_cache`);

    expect((await edge('/assets/app.js')).body).toBe(RELEASE_1);
    const warm = await edge('/assets/app.js');
    expect(warm.headers['x-cache']).toBe('HIT');
    releaseOneEtag = String(warm.headers.etag);
    expect(releaseOneEtag).toMatch(/^"[0-9a-f]+-1a"$/);
  });

  it('release 2 copied with cp -p: deploy touches, purges through Cloudflare into Varnish, proves it', async () => {
    await copyPreservingMtime(path.join(site, 'assets', 'app.js'), RELEASE_2, work);
    // The bug is live: Varnish serves release 1 and 304s the old ETag.
    expect((await edge('/assets/app.js')).body).toBe(RELEASE_1);
    expect((await edge('/assets/app.js', { 'if-none-match': releaseOneEtag })).status).toBe(304);

    const before = await readFile(baseline(), 'utf8');
    const acceptedBefore = f().purged().files.length;
    forwarded.length = 0;
    const run = await deploy();
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.diff.hazards, `${run.stderr}\n${JSON.stringify(run.json.origin)}`).toEqual([
      { path: 'assets/app.js', kind: 'validator-unchanged' },
    ]);
    expect(run.json.fixed.touched).toEqual(['assets/app.js']);
    expect(run.json.purge).toMatchObject({ requests: 1, urls: 1, failed: [] });
    expect(run.json.verify).toMatchObject({ ok: true, checked: 1, stale: [] });
    // Cloudflare was asked for exactly that URL, and the CDN evicted it.
    expect(f().purged().files.slice(acceptedBefore)).toEqual([APP_URL]);
    expect(forwarded).toEqual([`PURGE ${HOST}/assets/app.js 200`]);
    expect(await readFile(baseline(), 'utf8')).not.toBe(before);

    const fresh = await edge('/assets/app.js');
    expect(fresh.body).toBe(RELEASE_2);
    expect(fresh.headers.etag).not.toBe(releaseOneEtag);
    const conditional = await edge('/assets/app.js', { 'if-none-match': releaseOneEtag });
    expect(conditional.status).toBe(200);
    expect(conditional.body).toBe(RELEASE_2);
    // An unchanged file stayed cached: the purge was exact.
    await edge('/assets/style.css');
    expect((await edge('/assets/style.css')).headers['x-cache']).toBe('HIT');
  });

  it('edgepurge verify passes against Varnish afterwards', async () => {
    const run = await runCli(['verify', '--json'], { cwd: work, env: env() });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, checked: 4, stale: [] });
  });
});
