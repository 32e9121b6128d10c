/**
 * `deploy` through the Cloudflare provider (the official SDK over real HTTP) against the loopback
 * fake API: a 1,000-URL release through 429s, 5xx and resets with nothing missed; a wrong token
 * that fails at once; a token that never reaches any output; a missing token. The edge that
 * verification reads is the embedded origin + caching edge, reached with `verify.connectTo`.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, validateConfig } from '../../src/config/load-config.ts';
import type { CloudflareConfig } from '../../src/config/schema.ts';
import { type DemoEdge, startEdge } from '../../src/demo/edge-proxy.ts';
import { type DemoServer, startOrigin } from '../../src/demo/origin-server.ts';
import type { Logger } from '../../src/log.ts';
import { deploy } from '../../src/pipeline/deploy.ts';
import { createCloudflareProvider } from '../../src/providers/cloudflare.ts';
import type { RetryPolicy } from '../../src/purge/retry-policy.ts';
import {
  type FakeCloudflare,
  type PurgeBody,
  startFakeCloudflare,
} from '../support/fake-cloudflare.ts';
import type { FakeAnswer } from '../support/fake-http.ts';
import { fakeClock } from '../support/memory-provider.ts';
import { runCli } from '../support/run-cli.ts';
import { httpRequest } from '../support/stack.ts';

const HOST = 'www.example.test';
const ZONE = '0123456789abcdef0123456789abcdef';
// Distinctive, so that any appearance in output is certainly this token and nothing else.
const TOKEN = 'cfut-SECRET-9d41e8c7b3a2f0657e1d4c9b8a7f6e5d';
const OTHER_TOKEN = 'cfut-the-zones-real-token-0f1e2d3c4b5a6978';

/** The v4 failure envelope. */
function apiFailure(
  status: number,
  errors: { code: number; message: string }[],
  headers?: Record<string, string>,
): FakeAnswer {
  return { status, headers, body: { success: false, errors, messages: [], result: null } };
}

// 971 is what the API says when the purge bucket is empty ("Please wait and consider
// throttling your request speed").
const RATE_LIMITED = apiFailure(
  429,
  [{ code: 971, message: 'Please wait and consider throttling your request speed' }],
  {
    'retry-after': '1',
  },
);
const SERVER_ERROR = apiFailure(500, [{ code: 10002, message: 'An unknown error has occurred' }]);

/**
 * The deterministic fault pattern, by arrival order at the fake: every 5th request is a 429
 * with `Retry-After: 1`; of the others, every 5th (20 %) fails, a 500 and a dropped connection
 * in turn. Anything else the API answers itself.
 */
function faultAt(index: number): FakeAnswer | undefined {
  if (index % 5 === 4) return RATE_LIMITED;
  const other = index - Math.floor(index / 5); // position among the requests that are not 429s
  if (other % 5 !== 2) return undefined;
  return Math.floor(other / 5) % 2 === 0 ? SERVER_ERROR : { drop: true };
}

function collectLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (message) => lines.push(message),
    warn: (message) => lines.push(`warning: ${message}`),
  };
}

/** Forwards every purged file URL to the embedded edge as `PURGE <path>` with its Host. */
function forwardTo(edge: DemoEdge) {
  return async (body: PurgeBody): Promise<void> => {
    for (const file of body.files ?? []) {
      const url = new URL(typeof file === 'string' ? file : (file.url ?? ''));
      const answer = await httpRequest(`${edge.url}${url.pathname}`, {
        method: 'PURGE',
        host: url.host,
      });
      if (answer.status !== 200) throw new Error(`edge answered PURGE with ${answer.status}`);
    }
  };
}

describe('deploy through Cloudflare (SDK → loopback API), verified at the embedded edge', () => {
  let work: string;
  let origin: DemoServer;
  let edge: DemoEdge;
  const fakes: FakeCloudflare[] = [];

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'edgepurge-cf-deploy-'));
    await mkdir(join(work, 'site'));
    origin = await startOrigin({ root: join(work, 'site') });
    edge = await startEdge({ origin: origin.url });
  });
  afterEach(async () => {
    await Promise.all(fakes.splice(0).map((fake) => fake.server.close()));
    await edge.close();
    await origin.close();
    await rm(work, { recursive: true, force: true });
  });

  async function fakeCloudflare(token = TOKEN): Promise<FakeCloudflare> {
    const fake = await startFakeCloudflare({ token, zoneId: ZONE, onPurge: forwardTo(edge) });
    fakes.push(fake);
    return fake;
  }

  async function writeSite(files: Record<string, string>): Promise<void> {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(work, 'site', path, '..'), { recursive: true });
      await writeFile(join(work, 'site', path), content);
    }
  }

  function writeConfig(plan = 'free'): Promise<void> {
    return writeFile(
      join(work, 'edgepurge.config.json'),
      JSON.stringify({
        dir: 'site',
        baseUrl: `http://${HOST}`,
        baseline: 'state/baseline.json',
        providers: [{ type: 'cloudflare', zoneId: ZONE, plan }],
        verify: { connectTo: [`${HOST}:80:127.0.0.1:${edge.port}`], timeoutSeconds: 3 },
      }),
    );
  }
  const baselinePath = () => join(work, 'state', 'baseline.json');

  const cli = (args: string[], env: NodeJS.ProcessEnv) => runCli(args, { cwd: work, env });

  const SMALL_SITE = {
    'index.html': '<h1>home</h1>\n',
    'assets/app.js': 'console.log("release 1");\n',
    'assets/style.css': 'body{color:black}\n',
  };

  it('1,000 URLs through 429s, 500s and resets: 34 accepted requests, every URL exactly once, verified', async () => {
    const files: Record<string, string> = {};
    const urls: string[] = [];
    for (let i = 0; i < 1000; i++) {
      // At the root: the planner never turns the root into a prefix purge, so every URL goes
      // in a files batch.
      const name = `file-${String(i).padStart(4, '0')}.txt`;
      files[name] = `file ${i}\n`;
      urls.push(`http://${HOST}/${name}`);
    }
    await writeSite(files);
    await writeConfig('free');
    const fake = await fakeCloudflare();
    const faulted = { rateLimited: 0, other: 0 };
    fake.server.faults = (request) => {
      const fault = faultAt(request.index);
      if (fault === RATE_LIMITED) faulted.rateLimited += 1;
      else if (fault !== undefined) faulted.other += 1;
      return fault;
    };
    // A real deploy: first release (no baseline), every file added, verified through the
    // embedded edge. Retries back off in milliseconds of real time; the Free plan's pacing and
    // Retry-After pauses run on the fake clock, so nothing sleeps for minutes.
    const config = await loadConfig({ cwd: work, env: {} });
    const clock = fakeClock();
    const started = clock.now();
    const retry: RetryPolicy = {
      retries: 12,
      minDelayMs: 1,
      factor: 2,
      maxDelayMs: 4,
      retryAfterCapMs: 120_000,
    };
    const log = collectLog();
    const result = await deploy(config, {
      dryRun: false,
      log,
      signal: AbortSignal.timeout(15_000),
      env: { CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_BASE_URL: fake.url },
      retry,
      clock,
    });

    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    // The fake's own record: exactly ceil(1000 / 30) requests accepted, and the accepted files
    // are the release's 1,000 URLs, none missed and none twice.
    const accepted = fake.server.requests.filter((request) => faultAt(request.index) === undefined);
    expect(accepted).toHaveLength(Math.ceil(1000 / 30));
    const purged = fake.purged().files;
    expect(purged).toHaveLength(1000);
    expect(new Set(purged).size).toBe(1000);
    expect([...purged].sort()).toEqual([...urls].sort());
    for (const request of accepted) {
      expect((JSON.parse(request.body) as PurgeBody).files?.length).toBeLessThanOrEqual(30);
    }
    // Nothing was sent after the last batch was accepted: the request count is the first n
    // whose pattern holds 34 accepted answers.
    let expectedRequests = 0;
    for (let ok = 0; ok < 34; expectedRequests++) if (faultAt(expectedRequests) === undefined) ok++;
    expect(fake.server.requests).toHaveLength(expectedRequests);
    expect(faulted.rateLimited).toBeGreaterThan(0);
    expect(faulted.other).toBeGreaterThan(0);

    // The summary tells the user what happened.
    expect(result.purge).toMatchObject({
      requests: expectedRequests,
      urls: 1000,
      failed: [],
      rateLimited: faulted.rateLimited,
      retries: faulted.rateLimited + faulted.other,
    });
    expect(log.lines.some((line) => /failed: 429 .*retrying/.test(line))).toBe(true);
    // Free plan: a burst of 25, then 5 requests a minute. Every attempt spends a token, so the
    // (virtual) clock advanced at least the time the bucket needs to refill for the rest.
    const budgetMs = ((expectedRequests - 25) / (5 / 60)) * 1000;
    expect(clock.now() - started).toBeGreaterThanOrEqual(budgetMs);
    expect(result.purge.pacedMs).toBeGreaterThanOrEqual(budgetMs);

    expect(result.verify).toMatchObject({ ok: true, checked: 1000, stale: [] });
    expect(result.baseline.saved).toBe(true);
    expect(existsSync(baselinePath())).toBe(true);
    expect(existsSync(`${baselinePath()}.journal`)).toBe(false);
  });

  it('a wrong token fails at once: exit 1, E_CF_AUTH with the permission hint, one request, no baseline', async () => {
    await writeSite(SMALL_SITE);
    await writeConfig('free');
    const fake = await fakeCloudflare(OTHER_TOKEN);
    const run = await cli(['deploy', '--json'], {
      CLOUDFLARE_API_TOKEN: TOKEN,
      CLOUDFLARE_BASE_URL: fake.url,
    });
    expect(run.code, run.stderr).toBe(1);
    const json = JSON.parse(run.stdout);
    expect(json.ok).toBe(false);
    expect(json.purge.failed).toHaveLength(1);
    expect(json.purge.failed[0].code).toBe('E_CF_AUTH');
    expect(json.purge.failed[0].error).toContain('401');
    expect(json.purge.failed[0].hint).toContain('Zone › Cache Purge');
    expect(json.purge.retries).toBe(0);
    expect(json.error.code).toBe('E_CF_AUTH');
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
    expect(run.stderr).not.toMatch(/retrying|this is a bug/);
    // The single batch (4 URLs) went once: a 401 is not retried.
    expect(fake.server.requests).toHaveLength(1);
    expect(fake.purged().files).toEqual([]);
    expect(json.baseline.saved).toBe(false);
    expect(existsSync(baselinePath())).toBe(false);
  });

  // An auth failure stops the provider: the batches already in flight (concurrency 4) may
  // finish, no more is sent, and every batch left is reported as not sent.
  it('a wrong token on a many-batch plan sends no more than the batches already in flight', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[`${i}.txt`] = `${i}\n`;
    await writeSite(files);
    await writeConfig('free');
    const fake = await fakeCloudflare(OTHER_TOKEN);
    const result = await deploy(await loadConfig({ cwd: work, env: {} }), {
      dryRun: false,
      log: collectLog(),
      signal: AbortSignal.timeout(15_000),
      env: { CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_BASE_URL: fake.url },
      clock: fakeClock(),
    });
    expect(result.ok).toBe(false);
    expect(result.purge.failed[0]?.code).toBe('E_CF_AUTH');
    expect(fake.server.requests.length).toBeLessThanOrEqual(4);
    expect(result.purge.failed).toHaveLength(10);
    expect(
      result.purge.failed.filter((f) => f.error.startsWith('not sent:')).length,
    ).toBeGreaterThanOrEqual(6);
  });

  it('the token appears in no output: deploy, plan, purge, dry run, a 401, and an API that echoes it', async () => {
    await writeSite(SMALL_SITE);
    await writeConfig('free');
    const fake = await fakeCloudflare(TOKEN);
    const wrong = await fakeCloudflare(OTHER_TOKEN);
    const env = { CLOUDFLARE_API_TOKEN: TOKEN, CLOUDFLARE_BASE_URL: fake.url };
    const outputs: string[] = [];
    const run = async (args: string[], expected: number, runEnv: NodeJS.ProcessEnv = env) => {
      const result = await cli(args, runEnv);
      outputs.push(result.stdout, result.stderr);
      expect(result.code, `${args.join(' ')}\n${result.stderr}`).toBe(expected);
      expect(result.stdout).not.toContain(TOKEN);
      expect(result.stderr).not.toContain(TOKEN);
      return result;
    };

    const plan = await run(['plan', '--json'], 0);
    expect(JSON.parse(plan.stdout).providers[0].provider).toBe('cloudflare');
    const dry = await run(['deploy', '--dry-run'], 0);
    expect(dry.stdout).toContain('dry run: nothing was written, run or sent');
    const manual = await run(['purge', '--url', '/assets/app.js', '--json'], 0);
    expect(JSON.parse(manual.stdout).purge).toMatchObject({ urls: 1, failed: [] });
    const first = await run(['deploy', '--json'], 0);
    expect(JSON.parse(first.stdout).verify.ok).toBe(true);
    // Every request carried the token: it was there to leak.
    expect(fake.server.requests.map((request) => request.headers.authorization)).toEqual([
      `Bearer ${TOKEN}`,
      `Bearer ${TOKEN}`,
    ]);

    await writeFile(join(work, 'site', 'assets', 'app.js'), 'console.log("release 2!");\n');
    const unauthorised = await run(['deploy', '--json'], 1, {
      ...env,
      CLOUDFLARE_BASE_URL: wrong.url,
    });
    expect(JSON.parse(unauthorised.stdout).purge.failed[0].code).toBe('E_CF_AUTH');
    expect(wrong.server.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);

    // An API (or a proxy in front of it) that puts the Authorization header in its answer.
    const echoes: ((auth: string) => FakeAnswer)[] = [
      (auth) => apiFailure(403, [{ code: 10000, message: `Authentication error for ${auth}` }]),
      (auth) => apiFailure(400, [{ code: 1012, message: `bad request, header was ${auth}` }]),
      (auth) => apiFailure(200, [{ code: 1012, message: `refused; you sent ${auth}` }]),
      (auth) => ({ status: 400, headers: { 'content-type': 'text/plain' }, body: `raw ${auth}` }),
    ];
    // Two of them through the CLI (the JSON envelope and a raw body); all of them in process.
    for (const echo of [echoes[0], echoes[3]]) {
      if (echo === undefined) continue;
      fake.server.faults = (request) => echo(String(request.headers.authorization));
      const echoed = await run(['deploy', '--json'], 1);
      expect(JSON.parse(echoed.stdout).purge.failed).toHaveLength(1);
    }
    // The echo did reach edgepurge, and was scrubbed rather than dropped.
    expect(outputs.join('\n')).toContain('Bearer [redacted]');

    // In process: whatever the provider throws holds no token, however it is printed.
    const config = validateConfig({
      dir: '.',
      baseUrl: `http://${HOST}`,
      providers: [{ type: 'cloudflare', zoneId: ZONE }],
    }).providers[0] as CloudflareConfig;
    const provider = createCloudflareProvider(config, { token: TOKEN, baseURL: fake.url });
    const thrown: unknown[] = [];
    for (const fault of [
      ...echoes,
      (auth: string) => apiFailure(500, [{ code: 10002, message: `upstream saw ${auth}` }]),
      (auth: string) => apiFailure(429, [{ code: 971, message: `slow down, ${auth}` }]),
      (): FakeAnswer => ({ drop: true }),
    ]) {
      fake.server.faults = (request) => fault(String(request.headers.authorization));
      await provider
        .purge({ kind: 'urls', urls: [`http://${HOST}/`] }, AbortSignal.timeout(5_000))
        .then(
          () => thrown.push(undefined),
          (error: unknown) => thrown.push(error),
        );
    }
    expect(thrown).toHaveLength(7);
    for (const error of thrown) {
      expect(error).toBeInstanceOf(Error);
      expect(String(error)).not.toContain(TOKEN);
      expect(JSON.stringify(error)).not.toContain(TOKEN);
      expect(inspect(error, { depth: 8 })).not.toContain(TOKEN);
    }
    expect(thrown.map((error) => (error as { code: string }).code)).toEqual([
      'E_CF_AUTH',
      'E_CF_REQUEST',
      'E_CF_REFUSED',
      'E_CF_REQUEST',
      'E_CF_SERVER',
      'E_RATE_LIMIT',
      'E_CF_NETWORK',
    ]);
    // In process through deploy(): the result and every log line are clean too.
    fake.server.faults = (request) => echoes[0]?.(String(request.headers.authorization));
    const log = collectLog();
    const result = await deploy(await loadConfig({ cwd: work, env: {} }), {
      dryRun: false,
      log,
      signal: AbortSignal.timeout(10_000),
      env,
    });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain(TOKEN);
    expect(log.lines.join('\n')).not.toContain(TOKEN);
  });

  it('no CLOUDFLARE_API_TOKEN: exit 2 naming the variable, nothing sent, nothing written', async () => {
    await writeSite(SMALL_SITE);
    await writeConfig('free');
    const fake = await fakeCloudflare(TOKEN);
    for (const args of [
      ['deploy', '--json'],
      ['purge', '--url', '/', '--json'],
    ]) {
      const run = await cli(args, { CLOUDFLARE_BASE_URL: fake.url });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain('CLOUDFLARE_API_TOKEN');
      expect(run.stderr).not.toMatch(/this is a bug/);
      const json = JSON.parse(run.stdout);
      expect(json.ok).toBe(false);
      expect(json.error.code).toBe('E_TOKEN_MISSING');
      expect(json.error.message).toContain('CLOUDFLARE_API_TOKEN');
    }
    expect(fake.server.requests).toHaveLength(0);
    expect(existsSync(join(work, 'state'))).toBe(false);
  });
});
