import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DemoEdge, startEdge } from '../../src/demo/edge-proxy.ts';
import { type DemoServer, startOrigin } from '../../src/demo/origin-server.ts';
import { writeSampleSite } from '../../src/demo/sample-site.ts';
import { type FakeFastly, startFakeFastly } from '../support/fake-fastly.ts';
import { runCli } from '../support/run-cli.ts';

const HOST = 'www.example.test';
const FASTLY_TOKEN = 'fastly-test-token-9f8e7d6c5b4a';
const SERVICE = 'SU1Z0isxPaozGVKXdv0eY';

describe('edgepurge purge', () => {
  let work: string;
  let origin: DemoServer;
  let edge: DemoEdge;
  let fastly: FakeFastly;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'edgepurge-purge-'));
    await writeSampleSite(join(work, 'site'));
    origin = await startOrigin({ root: join(work, 'site') });
    edge = await startEdge({ origin: origin.url });
    fastly = await startFakeFastly({ token: FASTLY_TOKEN, serviceId: SERVICE });
    await writeFile(
      join(work, 'edgepurge.config.json'),
      JSON.stringify({
        dir: 'site',
        baseUrl: `http://${HOST}`,
        providers: [{ type: 'varnish', endpoints: [edge.url] }],
      }),
    );
  });
  afterEach(async () => {
    await fastly.server.close();
    await edge.close();
    await origin.close();
    await rm(work, { recursive: true, force: true });
  });

  const purge = (args: string[], input?: string) =>
    runCli(['purge', ...args], {
      cwd: work,
      input,
      env: { FASTLY_API_TOKEN: FASTLY_TOKEN, FASTLY_API_URL: fastly.url },
    });

  it('--file - reads URLs and paths from stdin, skipping blanks and comments', async () => {
    const run = await purge(
      ['--file', '-', '--json'],
      '# release 7\n/assets/app.js\n\nhttp://www.example.test/about/\n',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).purge).toMatchObject({ urls: 2, failed: [] });
    expect(edge.stats().purges).toBe(2);
  });

  it.each([
    ['a #fragment', (url: string) => `${url}#x`, '#fragment'],
    ['a path prefix', (url: string) => `${url}/cache/`, 'has the path /cache/'],
    ['user info', (url: string) => url.replace('//', '//ops:s3cretpass@'), 'user name or password'],
  ])('--endpoint with %s exits 2 naming the flag, and sends nothing', async (_, make, text) => {
    const run = await purge([
      '--provider',
      'varnish',
      '--endpoint',
      make(edge.url),
      '--url',
      '/assets/app.js',
    ]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('--endpoint');
    expect(run.stderr).toContain(text);
    expect(run.stderr).not.toContain('s3cretpass');
    expect(edge.stats().purges).toBe(0);
  });

  it('--everything without a terminal refuses unless --yes, and then BANs the host', async () => {
    const refused = await purge(['--everything']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect(edge.stats().purges).toBe(0);
    const confirmed = await purge(['--everything', '--yes']);
    expect(confirmed.code, confirmed.stderr).toBe(0);
    expect(edge.stats().purges).toBe(1);
  });

  it('a provider described by flags works without a config file', async () => {
    const bare = await mkdtemp(join(tmpdir(), 'edgepurge-bare-'));
    try {
      const run = await runCli(
        [
          'purge',
          '--provider',
          'varnish',
          '--endpoint',
          edge.url,
          '--url',
          `http://${HOST}/robots.txt`,
        ],
        {
          cwd: bare,
        },
      );
      expect(run.code, run.stderr).toBe(0);
      expect(edge.stats().purges).toBe(1);
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });

  it('--dry-run on Fastly prints the exact requests, sends nothing, shows no token', async () => {
    const run = await purge([
      '--service-id',
      SERVICE,
      '--tag',
      'home',
      '--tag',
      'css',
      '--url',
      '/a.js',
      '--dry-run',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`/service/${SERVICE}/purge`);
    expect(run.stdout).toContain('home css');
    expect(run.stdout).toContain(`/purge/${HOST}/a.js`);
    expect(run.stdout + run.stderr).not.toContain(FASTLY_TOKEN);
    expect(fastly.server.requests).toHaveLength(0);
  });

  it('tags reach Fastly as one surrogate-key purge; a prefix on Fastly is refused before sending', async () => {
    const tags = await purge(['--service-id', SERVICE, '--tag', 'home', '--tag', 'css']);
    expect(tags.code, tags.stderr).toBe(0);
    expect(fastly.purged().keys.sort()).toEqual(['css', 'home']);
    const before = fastly.server.requests.length;
    const prefix = await purge(['--service-id', SERVICE, '--prefix', '/assets/']);
    expect(prefix.code).toBe(2);
    expect(prefix.stderr).toContain('cannot purge by prefix');
    expect(fastly.server.requests).toHaveLength(before);
  });

  it('--provider selects configured providers by name; an unknown one is named', async () => {
    const run = await purge(['--provider', 'cloudfront', '--url', '/x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cloudfront');
  });

  it('--prefix without a leading slash or a host name is refused, not sent to a host called "assets"', async () => {
    const run = await purge(['--prefix', 'assets/']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('/assets/');
    expect(edge.stats().purges).toBe(0);
  });

  it('plan and dry runs need no credentials; a real deploy does', async () => {
    await writeFile(
      join(work, 'cf.json'),
      JSON.stringify({
        dir: 'site',
        baseUrl: `http://${HOST}`,
        providers: [{ type: 'cloudflare', zoneId: '0123456789abcdef0123456789abcdef' }],
      }),
    );
    const plan = await runCli(['plan', '--json', '--config', 'cf.json'], { cwd: work });
    expect(plan.code, plan.stderr).toBe(0);
    expect(JSON.parse(plan.stdout).providers[0]).toMatchObject({
      provider: 'cloudflare',
      requests: 1,
    });
    const dry = await runCli(['deploy', '--dry-run', '--config', 'cf.json'], { cwd: work });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('would send cloudflare: POST');
    const real = await runCli(['deploy', '--config', 'cf.json'], { cwd: work });
    expect(real.code).toBe(2);
    expect(real.stderr).toContain('CLOUDFLARE_API_TOKEN');
  });
});
