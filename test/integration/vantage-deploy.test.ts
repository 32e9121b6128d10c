import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DemoEdge, startEdge } from '../../src/demo/edge-proxy.ts';
import { type DemoServer, startOrigin } from '../../src/demo/origin-server.ts';
import { editSampleSiteInPlace, writeSampleSite } from '../../src/demo/sample-site.ts';
import { type FakeGlobalping, startFakeGlobalping } from '../support/fake-globalping.ts';
import { runMain } from '../support/run-main.ts';

// verify.vantage through the CLI, in process: the embedded origin, an edge the deploy purges
// (the POP near the runner), a second edge it does not know about (a POP far away), and the
// fake Globalping API whose probes fetch through whichever edge their location is wired to.
describe('deploy with verify.vantage (fake Globalping)', () => {
  const HOST = 'www.example.test';
  const TOKEN = 'gp-token-0123456789abcdefghij';
  let work: string;
  let origin: DemoServer;
  let near: DemoEdge;
  let far: DemoEdge;
  let globalping: FakeGlobalping | undefined;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'edgepurge-vantage-'));
    await writeSampleSite(join(work, 'site'));
    origin = await startOrigin({ root: join(work, 'site') });
    near = await startEdge({ origin: origin.url });
    far = await startEdge({ origin: origin.url });
  });
  afterEach(async () => {
    await globalping?.close();
    globalping = undefined;
    await Promise.all([near.close(), far.close()]);
    await origin.close();
    await rm(work, { recursive: true, force: true });
  });

  async function start(
    asia: 'near' | 'far',
    extra: Partial<Parameters<typeof startFakeGlobalping>[0]> = {},
  ): Promise<FakeGlobalping> {
    globalping = await startFakeGlobalping({
      token: TOKEN,
      locations: {
        Europe: {
          probe: { continent: 'EU', country: 'DE', city: 'Frankfurt' },
          upstream: near.url,
        },
        'North America': {
          probe: { continent: 'NA', country: 'US', city: 'Ashburn' },
          upstream: near.url,
        },
        Asia: {
          probe: { continent: 'AS', country: 'JP', city: 'Tokyo', asn: 2497 },
          upstream: asia === 'near' ? near.url : far.url,
        },
      },
      // Answers at the first poll once the probe is done: the suite stays short (the first test
      // sets 1 to go through an in-progress answer).
      pollsUntilDone: 0,
      ...extra,
    });
    return globalping;
  }

  function writeConfig(vantage: Record<string, unknown>, timeoutSeconds = 5) {
    return writeFile(
      join(work, 'edgepurge.config.json'),
      JSON.stringify({
        dir: 'site',
        baseUrl: `http://${HOST}`,
        baseline: 'state/baseline.json',
        providers: [{ type: 'varnish', endpoints: [near.url] }],
        verify: {
          connectTo: [`${HOST}:80:127.0.0.1:${near.port}`],
          timeoutSeconds,
          vantage: { endpoint: globalping?.url, ...vantage },
        },
      }),
    );
  }

  const deploy = async (env: NodeJS.ProcessEnv = {}, ...args: string[]) => {
    const run = await runMain(['deploy', '--json', ...args], { cwd: work, env });
    return { ...run, json: JSON.parse(run.stdout) };
  };
  /** PURGE one path on an edge, with the public Host (the demo edge's Varnish-style purge). */
  const purge = (edge: DemoEdge, path: string) =>
    new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: edge.port, method: 'PURGE', path, headers: { host: HOST } },
        (res) => res.resume().on('end', () => resolve()),
      );
      req.on('error', reject).end();
    });
  const baseline = () => readFile(join(work, 'state', 'baseline.json'), 'utf8');

  it('passes from every location; results per location in --json, Markdown and HTML; the token is sent, never shown', async () => {
    const api = await start('near', { pollsUntilDone: 1 });
    await writeConfig({ locations: ['Europe', 'North America', 'Asia'], sample: 20 });
    const run = await deploy(
      { GLOBALPING_TOKEN: TOKEN },
      '--report',
      'out/report.md',
      '--report',
      'out/report.html',
    );
    expect(run.code, run.stderr).toBe(0);
    const vantage = run.json.verify.vantage;
    expect(vantage).toMatchObject({
      provider: 'globalping',
      ok: true,
      changedHtml: 0,
      sampled: 10,
    });
    expect(vantage.tests).toBe(30);
    expect(vantage.locations.map((l: { location: string }) => l.location)).toEqual([
      'Europe',
      'North America',
      'Asia',
    ]);
    for (const location of vantage.locations) {
      expect(location).toMatchObject({ ok: true, fresh: 10, stale: 0, failed: 0 });
      // Every sample file is small text: the probe returned it whole, so the body was hashed.
      expect(location.urls.every((u: { method: string }) => u.method === 'body')).toBe(true);
    }
    expect(vantage.locations[2].probe).toMatchObject({ city: 'Tokyo', country: 'JP' });
    // One location is one probe: after the first URL, every measurement reuses its id.
    const bodies = [...api.measurements.values()].map((m) => m.body);
    expect(bodies.filter((b) => Array.isArray(b.locations))).toHaveLength(3);
    expect(bodies.filter((b) => typeof b.locations === 'string')).toHaveLength(27);
    expect(bodies[0]).toMatchObject({
      type: 'http',
      target: HOST,
      measurementOptions: { request: { method: 'GET' }, protocol: 'HTTP', port: 80 },
    });
    const posts = api.server.requests.filter((r) => r.method === 'POST');
    expect(posts.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);

    const markdown = await readFile(join(work, 'out', 'report.md'), 'utf8');
    expect(markdown).toContain('From 3 locations');
    expect(markdown).toMatch(/\| Asia \| Tokyo, JP \(AS2497\) \| 10 \| 0 \| 0 \|/);
    const html = await readFile(join(work, 'out', 'report.html'), 'utf8');
    expect(html).toContain('aria-label="Fresh and stale URLs per location"');
    expect(html).toContain('North America');
    for (const text of [run.stdout, run.stderr, markdown, html]) expect(text).not.toContain(TOKEN);
  });

  it('a POP the purge did not reach: the location is named, exit 1, the baseline is not saved', async () => {
    await start('far');
    // 2 s: no time to measure a stale answer again (the next test does), the suite stays short.
    await writeConfig({ locations: ['Europe', 'North America', 'Asia'], sample: 20 }, 2);
    expect((await deploy()).code).toBe(0);
    const release1 = await baseline();

    await editSampleSiteInPlace(join(work, 'site'));
    const run = await deploy();
    expect(run.code, run.stderr).toBe(1);
    expect(run.json.ok).toBe(false);
    // Locally every URL is fresh: only the far POP still serves release 1.
    expect(run.json.verify.urls.every((u: { fresh: boolean }) => u.fresh)).toBe(true);
    expect(run.json.error.code).toBe('E_STALE_LOCATION');
    expect(run.json.error.message).toContain('Asia (Tokyo, JP (AS2497)): 1 of 3 URLs stale');
    expect(run.json.error.message).not.toContain('Europe');
    const [europe, america, asia] = run.json.verify.vantage.locations;
    expect(europe).toMatchObject({ ok: true, stale: 0 });
    expect(america).toMatchObject({ ok: true, stale: 0 });
    // The far POP revalidates HTML (the origin's Cache-Control), so the pages are fresh there;
    // the script it keeps for an hour is not.
    expect(asia).toMatchObject({ ok: false, fresh: 2, stale: 1 });
    // Every changed HTML URL, plus the sample of the rest (the one other changed file).
    expect(run.json.verify.vantage).toMatchObject({ changedHtml: 2, sampled: 1 });
    expect(asia.urls.map((u: { url: string }) => u.url)).toEqual([
      `http://${HOST}/about/`,
      `http://${HOST}/about/index.html`,
      `http://${HOST}/assets/app.js`,
    ]);
    expect(asia.urls[2]).toMatchObject({ fresh: false, method: 'validators' });
    expect(run.json.verify.vantage.tests).toBe(9);
    expect(asia.urls[2].reason).toMatch(/^ETag ".*", where the runner's edge serves ".*"$/);
    expect(run.json.verify.stale.map((s: { reason: string }) => s.reason)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^stale from Asia \(Tokyo, JP/)]),
    );
    expect(run.json.baseline.saved).toBe(false);
    expect(await baseline()).toBe(release1);

    // Without --json: the text names the location too.
    const text = await runMain(['deploy'], { cwd: work, env: {} });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('Asia (Tokyo, JP (AS2497)): 2 of 3 fresh, 1 STALE');
    expect(text.stdout).toContain(`STALE http://${HOST}/assets/app.js: stale from Asia`);
    expect(text.stdout).toContain('deploy FAILED');
  });

  it('a POP that turns fresh while it is measured again passes', async () => {
    const api = await start('far');
    await writeConfig({ locations: ['Asia'], sample: 20 });
    expect((await deploy()).code).toBe(0);
    await editSampleSiteInPlace(join(work, 'site'));
    const measured = api.measurements.size;
    let settled = false;
    const running = deploy().finally(() => {
      settled = true;
    });
    // The far POP's first answer for the script is stale; then its object is purged too.
    const script = () =>
      [...api.measurements.values()]
        .slice(measured)
        .find((m) => JSON.stringify(m.body).includes('/assets/app.js') && m.results !== undefined);
    while (!settled && script() === undefined)
      await new Promise((resolve) => setTimeout(resolve, 20));
    await purge(far, '/assets/app.js');
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    const [asia] = run.json.verify.vantage.locations;
    expect(asia.urls.find((u: { url: string }) => u.url.endsWith('/app.js'))).toMatchObject({
      fresh: true,
      attempts: 2,
    });
    expect(run.json.baseline.saved).toBe(true);
  });

  it('a 429 is waited out (X-RateLimit-Reset), and an exhausted limit is not hit again', async () => {
    // Proactive: the 202 says nothing is left for a second; the next POST waits for the reset.
    const api = await start('near', { limit: 1, resetSeconds: 1 });
    await writeConfig({ locations: ['Europe'], sample: 2 });
    const run = await deploy();
    expect(run.code, run.stderr).toBe(0);
    expect(api.answered.filter((a) => a.method === 'POST').map((a) => a.status)).toEqual([
      202, 202,
    ]);

    // Reactive: a 429 (as Globalping sends it) is retried once, after the reset it announced.
    await api.close();
    const fresh = await start('near');
    let injected = 0;
    fresh.server.faults = (request) => {
      if (request.method !== 'POST' || injected > 0 || !request.body.includes('"locations":"'))
        return undefined;
      injected++;
      return {
        status: 429,
        headers: {
          'x-ratelimit-limit': '250',
          'x-ratelimit-consumed': '0',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': '1',
        },
        body: { error: { type: 'rate_limit_exceeded', message: 'API rate limit exceeded.' } },
      };
    };
    await writeConfig({ locations: ['Europe'], sample: 2 });
    const posts = () => fresh.server.requests.filter((r) => r.method === 'POST').length;
    const before = posts();
    await rm(join(work, 'state'), { recursive: true, force: true });
    const again = await deploy();
    expect(again.code, again.stderr).toBe(0);
    expect(injected).toBe(1);
    // First URL, the 429, and the same measurement sent again: nothing more.
    expect(posts() - before).toBe(3);
    expect(again.stderr).toContain("Globalping's rate limit is spent; waiting 1 s");
  });

  it('a limit that resets past verify.vantage.maxWaitSeconds fails the deploy with what to do', async () => {
    await start('near', { limit: 1, resetSeconds: 3600 });
    await writeConfig({ locations: ['Europe'], sample: 2, maxWaitSeconds: 1 });
    const run = await deploy();
    expect(run.code).toBe(1);
    expect(run.json.error.code).toBe('E_VANTAGE_RATE_LIMIT');
    expect(run.json.error.hint).toContain('GLOBALPING_TOKEN');
    expect(run.json.baseline.saved).toBe(false);
  });

  it('a location that matches no probe fails, named', async () => {
    await start('near');
    await writeConfig({ locations: ['Europe', 'Atlantis'], sample: 2 });
    const run = await deploy();
    expect(run.code).toBe(1);
    expect(run.json.error.message).toContain('Atlantis: no probe found for "Atlantis"');
    expect(run.json.verify.vantage.locations[0]).toMatchObject({ location: 'Europe', ok: true });
  });
});
