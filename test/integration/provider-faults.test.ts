/**
 * Faults never cost a URL: every provider, through its real client (undici for Varnish, the
 * `cloudflare` SDK, fetch for Fastly) against loopback fakes, meets 20 % 5xx, dropped
 * connections and a 429 every 4th request, and must purge exactly its plan: every target
 * accepted by the fake once, none missing, none twice, and a summary that says so. A 429 storm
 * longer than purge.maxWaitSeconds must fail precisely: what was accepted is counted and
 * journaled, what was not is named. One table; each test runs for every row.
 *
 * Waits run on a fake clock (Retry-After, backoff and pacing advance virtual time), so the
 * suite takes the time of its HTTP round trips only.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, validateConfig } from '../../src/config/load-config.ts';
import type { CloudflareConfig, FastlyConfig, VarnishConfig } from '../../src/config/schema.ts';
import { type DemoEdge, startEdge } from '../../src/demo/edge-proxy.ts';
import { type DemoServer, startOrigin } from '../../src/demo/origin-server.ts';
import { silentLogger } from '../../src/log.ts';
import { deploy } from '../../src/pipeline/deploy.ts';
import { urlToInvalidationPath } from '../../src/plan/cloudfront-paths.ts';
import type { PlanEntry, PurgePlan } from '../../src/plan/plan-purges.ts';
import { createCloudflareProvider } from '../../src/providers/cloudflare.ts';
import { createCloudfrontProvider } from '../../src/providers/cloudfront.ts';
import { createFastlyProvider } from '../../src/providers/fastly.ts';
import {
  batchTargets,
  makeBatch,
  type Provider,
  type PurgeBatch,
} from '../../src/providers/provider.ts';
import { createVarnishProvider } from '../../src/providers/varnish.ts';
import { executePlan, type PurgeSummary } from '../../src/purge/execute-plan.ts';
import { type Journal, noJournal } from '../../src/purge/journal.ts';
import type { RetryPolicy } from '../../src/purge/retry-policy.ts';
import { startFakeCloudflare } from '../support/fake-cloudflare.ts';
import { cloudfrontErrorBody, startFakeCloudfront } from '../support/fake-cloudfront.ts';
import { type FakeFastly, startFakeFastly } from '../support/fake-fastly.ts';
import type { FakeAnswer, FakeServer } from '../support/fake-http.ts';
import { startFakeVarnish } from '../support/fake-varnish.ts';
import { fakeClock } from '../support/memory-provider.ts';
import { httpRequest } from '../support/stack.ts';

const HOST = 'www.example.com';
const CF_TOKEN = 'cf-faults-token-0123456789abcdef';
const CF_ZONE = '0123456789abcdef0123456789abcdef';
const FASTLY_TOKEN = 'fastly-faults-token-0123456789';
const FASTLY_SERVICE = 'SU1Z0isxPaozGVKXdv0eY';

// Real backoff numbers, scaled down; the clock is virtual anyway.
const POLICY: RetryPolicy = {
  retries: 8,
  minDelayMs: 100,
  factor: 2,
  maxDelayMs: 2_000,
  retryAfterCapMs: 60_000,
  rateLimitFloorMs: 1_000,
};

/** The faults each fake can answer, in its own API's words. */
interface Faults {
  /** A 429 carrying the provider's reset. */
  rateLimited(): FakeAnswer;
  /** A 5xx, of the given status. */
  server(status: number): FakeAnswer;
}

/**
 * The fault pattern, by arrival order at each fake, over a cycle of 20 requests: a 429 every
 * 4th request (0, 4, 8, 12, 16: 25 %), a 5xx on 4 of 20 (20 %: 500, 502, 503, 504 in turn),
 * a dropped connection on 2 of 20 (10 %). The first three requests meet one of each, so even
 * a one-request plan (purge_all) goes through all three.
 */
function faultAt(index: number, faults: Faults): FakeAnswer | undefined {
  const i = index % 20;
  if (i % 4 === 0) return faults.rateLimited();
  const fivexx = [1, 6, 13, 18].indexOf(i);
  if (fivexx !== -1) return faults.server([500, 502, 503, 504][fivexx] as number);
  if (i === 2 || i === 9) return { drop: true };
  return undefined;
}

/** What a fault injector served, for the summary's counts. */
interface Served {
  rateLimited: number;
  other: number;
}

/**
 * Serves `pattern` at `server`. `offset` shifts it: the nodes of a fleet fault out of step, so
 * a URL one node took is refused by another (and must go again to that one only).
 */
function inject(
  server: FakeServer,
  faults: Faults,
  served: Served,
  pattern = faultAt,
  offset = 0,
): void {
  server.faults = (request) => {
    const answer = pattern(request.index + offset, faults);
    if (answer !== undefined && 'status' in answer && answer.status === 429)
      served.rateLimited += 1;
    else if (answer !== undefined) served.other += 1;
    return answer;
  };
}

/** One provider under test, with its fakes and its plan. */
interface Subject {
  readonly provider: Provider;
  readonly faults: Faults;
  readonly servers: readonly FakeServer[];
  readonly entries: readonly PlanEntry[];
  /** Every accepted purge as the fakes recorded it, one string each (duplicates kept). */
  recorded(): string[];
  /** What `recorded()` holds when the plan was applied exactly once. */
  readonly expected: readonly string[];
  /** Requests the fakes accept for the plan applied exactly once. */
  readonly acceptedRequests: number;
  /** The plan's targets (batchTargets) the fakes show wholly accepted. */
  acceptedTargets(): string[];
  close(): Promise<void>;
}

interface Row {
  readonly name: string;
  /** Requests answered normally before the 429 storm starts (per fake). */
  readonly beforeStorm: number;
  start(): Promise<Subject>;
}

const urls = (n: number) =>
  Array.from({ length: n }, (_, i) => `https://${HOST}/p/${String(i).padStart(3, '0')}.html`);
const hostPath = (raw: string) => {
  const url = new URL(raw);
  return `${url.host}${url.pathname}${url.search}`;
};

function entries(kind: 'urls' | 'tags', targets: readonly string[], size: number): PlanEntry[] {
  const out: PlanEntry[] = [];
  for (let i = 0; i < targets.length; i += size)
    out.push({ ...makeBatch(kind, targets.slice(i, i + size)), reason: 'changed' } as PlanEntry);
  return out;
}

function varnishConfig(endpoints: string[]): VarnishConfig {
  const config = validateConfig({
    dir: '.',
    baseUrl: `https://${HOST}`,
    providers: [{ type: 'varnish', endpoints, concurrency: 8, timeoutSeconds: 5 }],
  });
  return config.providers[0] as VarnishConfig;
}

function cloudflareConfig(): CloudflareConfig {
  const config = validateConfig({
    dir: '.',
    baseUrl: `https://${HOST}`,
    providers: [{ type: 'cloudflare', zoneId: CF_ZONE, plan: 'pro' }],
  });
  return config.providers[0] as CloudflareConfig;
}

const fastlyConfig: FastlyConfig = { type: 'fastly', serviceId: FASTLY_SERVICE, soft: false };

// A Varnish node (or a throttle in front of it) answers 429 with Retry-After (RFC 9110 10.2.3).
const varnishFaults: Faults = {
  rateLimited: () => ({ status: 429, headers: { 'Retry-After': '1' }, body: 'Too Many Requests' }),
  server: (status) => ({ status, body: 'Backend fetch failed' }),
};

// Cloudflare's purge bucket: 429 with code 971 and Retry-After (see cloudflare-deploy.test.ts).
const cloudflareFaults: Faults = {
  rateLimited: () => ({
    status: 429,
    headers: { 'retry-after': '1' },
    body: {
      success: false,
      errors: [{ code: 971, message: 'Please wait and consider throttling your request speed' }],
      messages: [],
      result: null,
    },
  }),
  server: (status) => ({
    status,
    body: {
      success: false,
      errors: [{ code: 10002, message: 'An unknown error has occurred' }],
      messages: [],
      result: null,
    },
  }),
};

// Fastly's 429 names its reset in Fastly-RateLimit-Reset, epoch seconds, with no Retry-After:
// the header names as Fastly's generated clients read them (fastly/fastly-go, e.g.
// fastly/api_kv_store_item.go: Header.Get("Fastly-RateLimit-Reset") parsed as an integer) and
// as https://docs.fastly.com/api/ documents them.
const fastlyFaults: Faults = {
  rateLimited: () => ({
    status: 429,
    headers: {
      'Fastly-RateLimit-Remaining': '0',
      'Fastly-RateLimit-Reset': String(Math.floor(Date.now() / 1000) + 1),
    },
    body: { msg: 'Too many requests', detail: 'Rate limit exceeded' },
  }),
  server: (status) => ({ status, body: { msg: 'Internal Server Error' } }),
};

// CloudFront throttles with the AWS error document; here as a 429 (as an API gateway in front
// answers), with Throttling, the code the SDK itself classifies as throttling. Its 5xx are
// InternalError / ServiceUnavailable in the same document.
const cloudfrontFaults: Faults = {
  rateLimited: () => ({
    status: 429,
    headers: { 'content-type': 'text/xml' },
    body: cloudfrontErrorBody('Sender', 'Throttling', 'Rate exceeded'),
  }),
  server: (status) => ({
    status,
    headers: { 'content-type': 'text/xml' },
    body: cloudfrontErrorBody(
      'Receiver',
      status === 503 ? 'ServiceUnavailable' : 'InternalError',
      'We encountered an internal error. Please try again.',
    ),
  }),
};
const CF_DISTRIBUTION = 'E2QWRUHAPOMQZL';
const AWS_KEY = {
  accessKeyId: 'AKIAFAULTSTEST000001',
  secretAccessKey: 'faults-secret-0123456789abcdef',
};

const ROWS: readonly Row[] = [
  {
    name: 'Varnish, per-URL PURGE to a fleet of two nodes',
    beforeStorm: 20,
    async start() {
      const nodes = [await startFakeVarnish(), await startFakeVarnish()];
      const provider = createVarnishProvider(varnishConfig(nodes.map((node) => node.url)));
      const all = urls(120);
      const label = (node: number, raw: string) => `node${node} ${hostPath(raw)}`;
      return {
        provider,
        faults: varnishFaults,
        servers: nodes.map((node) => node.server),
        entries: entries('urls', all, provider.capabilities.maxUrlsPerRequest),
        recorded: () => nodes.flatMap((node, n) => node.purged().map((p) => `node${n} ${p}`)),
        expected: nodes.flatMap((_, n) => all.map((raw) => label(n, raw))),
        acceptedRequests: nodes.length * all.length,
        acceptedTargets: () => {
          const sets = nodes.map((node) => new Set(node.purged()));
          return all.filter((raw) => sets.every((set) => set.has(hostPath(raw))));
        },
        async close() {
          await provider.close?.();
          await Promise.all(nodes.map((node) => node.server.close()));
        },
      };
    },
  },
  {
    name: 'Cloudflare, files batches through the SDK',
    beforeStorm: 2,
    async start() {
      const fake = await startFakeCloudflare({ token: CF_TOKEN, zoneId: CF_ZONE });
      const provider = createCloudflareProvider(cloudflareConfig(), {
        token: CF_TOKEN,
        baseURL: fake.url,
      });
      const all = urls(240);
      return {
        provider,
        faults: cloudflareFaults,
        servers: [fake.server],
        entries: entries('urls', all, provider.capabilities.maxUrlsPerRequest),
        recorded: () => fake.purged().files,
        expected: all,
        acceptedRequests: Math.ceil(all.length / provider.capabilities.maxUrlsPerRequest),
        acceptedTargets: () => fake.purged().files,
        close: () => fake.server.close(),
      };
    },
  },
  {
    name: 'CloudFront, invalidations through the AWS SDK',
    beforeStorm: 2,
    async start() {
      const fake = await startFakeCloudfront({ ...AWS_KEY, distributions: [CF_DISTRIBUTION] });
      // wait: false — the executor's retries are under test here, not the polling (see
      // cloudfront-provider.test.ts); 6 invalidations of 100 paths stay within the quotas.
      const provider = createCloudfrontProvider(
        {
          type: 'cloudfront',
          distributionId: CF_DISTRIBUTION,
          wait: false,
          timeoutSeconds: 60,
          freePathsPerMonth: 1000,
          endpoint: fake.url,
        },
        { credentials: AWS_KEY },
      );
      const all = urls(600);
      const byPath = new Map(all.map((raw) => [urlToInvalidationPath(raw), raw]));
      return {
        provider,
        faults: cloudfrontFaults,
        servers: [fake.server],
        entries: entries('urls', all, 100),
        recorded: () => fake.paths(),
        expected: all.map(urlToInvalidationPath),
        acceptedRequests: 6,
        acceptedTargets: () => fake.paths().map((path) => byPath.get(path) ?? path),
        async close() {
          await provider.close?.();
          await fake.server.close();
        },
      };
    },
  },
  {
    name: 'Fastly, one request per URL',
    beforeStorm: 20,
    async start() {
      const fake = await startFakeFastly({ token: FASTLY_TOKEN, serviceId: FASTLY_SERVICE });
      const provider = createFastlyProvider(fastlyConfig, {
        token: FASTLY_TOKEN,
        baseUrl: fake.url,
      });
      const all = urls(150);
      const byHostPath = new Map(all.map((raw) => [hostPath(raw), raw]));
      return {
        provider,
        faults: fastlyFaults,
        servers: [fake.server],
        entries: entries('urls', all, provider.capabilities.maxUrlsPerRequest),
        recorded: () => fake.purged().urls,
        expected: all.map(hostPath),
        acceptedRequests: all.length,
        acceptedTargets: () => fake.purged().urls.map((p) => byHostPath.get(p) ?? p),
        close: () => fake.server.close(),
      };
    },
  },
  {
    name: 'Fastly, surrogate keys',
    beforeStorm: 1,
    async start() {
      const fake = await startFakeFastly({ token: FASTLY_TOKEN, serviceId: FASTLY_SERVICE });
      const provider = createFastlyProvider(fastlyConfig, {
        token: FASTLY_TOKEN,
        baseUrl: fake.url,
      });
      const keys = Array.from({ length: 600 }, (_, i) => `product-${i}`);
      return {
        provider,
        faults: fastlyFaults,
        servers: [fake.server],
        entries: entries('tags', keys, provider.capabilities.maxTagsPerRequest),
        recorded: () => fake.purged().keys,
        expected: keys,
        acceptedRequests: Math.ceil(keys.length / provider.capabilities.maxTagsPerRequest),
        acceptedTargets: () => fake.purged().keys,
        close: () => fake.server.close(),
      };
    },
  },
  {
    name: 'Fastly, purge_all',
    beforeStorm: 0,
    async start() {
      const fake = await startFakeFastly({ token: FASTLY_TOKEN, serviceId: FASTLY_SERVICE });
      const provider = createFastlyProvider(fastlyConfig, {
        token: FASTLY_TOKEN,
        baseUrl: fake.url,
      });
      const recorded = () => Array<string>(fake.purged().all).fill('*');
      return {
        provider,
        faults: fastlyFaults,
        servers: [fake.server],
        entries: [{ kind: 'everything', hosts: [HOST], reason: 'forced' }],
        recorded,
        expected: ['*'],
        acceptedRequests: 1,
        acceptedTargets: recorded,
        close: () => fake.server.close(),
      };
    },
  },
];

function planOf(subject: Subject): PurgePlan {
  return {
    version: 1,
    baseUrl: `https://${HOST}`,
    urls: 0,
    providers: [
      {
        provider: subject.provider.name,
        type: subject.provider.type,
        entries: subject.entries,
        requests: subject.entries.length,
        lowerBound: subject.entries.length,
        collateral: 0,
        minSeconds: 0,
      },
    ],
  };
}

/** A journal that keeps what it is told in memory. */
function memoryJournal(): Journal & { targets: string[] } {
  const targets: string[] = [];
  return {
    ...noJournal,
    targets,
    record: async (_provider: string, batch: PurgeBatch) => {
      targets.push(...batchTargets(batch));
    },
  };
}

/** What the summary counts for the targets of these entries. */
function counted(summary: PurgeSummary, subject: Subject): number {
  const kind = subject.entries[0]?.kind;
  return kind === 'urls' ? summary.urls : kind === 'tags' ? summary.tags : 0;
}

const sorted = (items: readonly string[]) => [...items].sort();

const subjects: Subject[] = [];
afterEach(async () => {
  await Promise.all(subjects.splice(0).map((subject) => subject.close()));
});

describe.each(ROWS)('$name', (row) => {
  it('20 % 5xx, dropped connections and a 429 every 4th request: the plan purged exactly, once', async () => {
    const subject = await row.start();
    subjects.push(subject);
    const served: Served = { rateLimited: 0, other: 0 };
    for (const [n, server] of subject.servers.entries())
      inject(server, subject.faults, served, faultAt, n * 10);
    const journal = memoryJournal();
    const clock = fakeClock();

    const summary = await executePlan(planOf(subject), [subject.provider], {
      signal: AbortSignal.timeout(60_000),
      log: silentLogger,
      clock,
      retry: POLICY,
      journal,
      maxWaitSeconds: 300,
    });

    expect(summary.failed).toEqual([]);
    // The fakes' own record: every planned purge accepted, none missing, none twice.
    expect(sorted(subject.recorded())).toEqual(sorted(subject.expected));
    const planned = subject.entries.flatMap((entry) => batchTargets(entry));
    expect(sorted(subject.acceptedTargets())).toEqual(sorted(planned));
    expect(sorted(journal.targets)).toEqual(sorted(planned));
    expect(counted(summary, subject)).toBe(
      subject.entries[0]?.kind === 'everything' ? 0 : planned.length,
    );
    // Every fault was met and told: 429s, 5xx and resets each retried once per request.
    expect(served.rateLimited).toBeGreaterThan(0);
    expect(served.other).toBeGreaterThan(1);
    expect(summary.rateLimited).toBe(served.rateLimited);
    expect(summary.retries).toBe(served.rateLimited + served.other);
    const received = subject.servers.reduce((n, server) => n + server.requests.length, 0);
    expect(summary.requests).toBe(received);
    expect(received).toBe(subject.acceptedRequests + served.rateLimited + served.other);
  });

  it('a 429 storm longer than purge.maxWaitSeconds fails precisely: accepted counted and journaled, the rest named', async () => {
    const subject = await row.start();
    subjects.push(subject);
    const served: Served = { rateLimited: 0, other: 0 };
    const storm = (index: number, faults: Faults) =>
      index < row.beforeStorm ? undefined : faults.rateLimited();
    // Node n of a fleet lets n × 5 more requests through: some URLs are taken by one node only.
    for (const [n, server] of subject.servers.entries())
      inject(server, subject.faults, served, storm, -n * 5);
    const journal = memoryJournal();
    const clock = fakeClock();
    const started = clock.now();

    const summary = await executePlan(planOf(subject), [subject.provider], {
      signal: AbortSignal.timeout(60_000),
      log: silentLogger,
      clock,
      // Resets of 1 s, floored to 30 s: each request may wait 4 times within 120 s.
      retry: { ...POLICY, rateLimitFloorMs: 30_000 },
      journal,
      maxWaitSeconds: 120,
    });

    const planned = subject.entries.flatMap((entry) => batchTargets(entry));
    const accepted = subject.acceptedTargets();
    const notPurged = planned.filter((target) => !accepted.includes(target));
    expect(notPurged.length).toBeGreaterThan(0);
    // Accepted ones are counted, journaled, and never sent twice; the rest are named.
    expect(new Set(subject.recorded()).size).toBe(subject.recorded().length);
    expect(counted(summary, subject)).toBe(
      subject.entries[0]?.kind === 'everything' ? 0 : accepted.length,
    );
    expect(sorted(journal.targets)).toEqual(sorted(accepted));
    expect(sorted(summary.failed.flatMap((failure) => failure.targets ?? []))).toEqual(
      sorted(notPurged),
    );
    for (const failure of summary.failed) {
      expect(failure.error).toContain('purge.maxWaitSeconds is 120');
      expect(failure.hint).toContain('raise purge.maxWaitSeconds');
    }
    // Bounded by time: four waits of 30 s, then given up (batches may queue behind each other).
    expect(clock.slept.every((ms) => ms <= 30_000)).toBe(true);
    expect(clock.now() - started).toBeGreaterThanOrEqual(120_000);
    expect(summary.rateLimited).toBe(served.rateLimited);
    expect(summary.retries).toBeLessThan(summary.rateLimited);
  });
});

describe('a deploy whose per-URL purge meets a 429 storm (Fastly → the embedded edge)', () => {
  const SITE_HOST = 'www.example.test';
  const FILES = 40;
  // The storm starts after this many URL purges were accepted.
  const ACCEPTED_BEFORE_STORM = 25;
  let work: string;
  let origin: DemoServer;
  let edge: DemoEdge;
  let fake: FakeFastly;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'edgepurge-faults-'));
    await mkdir(join(work, 'site'));
    origin = await startOrigin({ root: join(work, 'site') });
    edge = await startEdge({ origin: origin.url });
    // Every accepted URL purge is forwarded to the edge, so a URL reported purged that was not
    // would still be stale there, and verification would fail.
    fake = await startFakeFastly({
      token: FASTLY_TOKEN,
      serviceId: FASTLY_SERVICE,
      onPurge: async (purge) => {
        if (purge.op !== 'url') return;
        const url = new URL(`http://${purge.cachedUrl}`);
        const answer = await httpRequest(`${edge.url}${url.pathname}`, {
          method: 'PURGE',
          host: url.host,
        });
        if (answer.status !== 200) throw new Error(`edge answered PURGE with ${answer.status}`);
      },
    });
    await writeFile(
      join(work, 'edgepurge.config.json'),
      JSON.stringify({
        dir: 'site',
        baseUrl: `http://${SITE_HOST}`,
        baseline: 'state/baseline.json',
        providers: [{ type: 'fastly', serviceId: FASTLY_SERVICE }],
        verify: { connectTo: [`${SITE_HOST}:80:127.0.0.1:${edge.port}`], timeoutSeconds: 5 },
      }),
    );
  });
  afterEach(async () => {
    await fake.server.close();
    await edge.close();
    await origin.close();
    await rm(work, { recursive: true, force: true });
  });

  const name = (i: number) => `page-${String(i).padStart(2, '0')}.txt`;
  const writeRelease = async (release: number) => {
    for (let i = 0; i < FILES; i++)
      await writeFile(join(work, 'site', name(i)), `release ${release}, page ${i}\n`);
  };
  const run = async () =>
    deploy(await loadConfig({ cwd: work, env: {} }), {
      dryRun: false,
      log: silentLogger,
      signal: AbortSignal.timeout(30_000),
      env: { FASTLY_API_TOKEN: FASTLY_TOKEN, FASTLY_API_URL: fake.url },
      retry: { ...POLICY, rateLimitFloorMs: 60_000 },
      clock: fakeClock(),
    });

  it('fails reporting the URLs it did purge, journals them, and the rerun sends only the rest', async () => {
    await writeRelease(1);
    const first = await run();
    expect(first.error).toBeUndefined();
    expect(first.ok).toBe(true);

    // Release 2 changes every page; after 25 accepted purges, Fastly answers 429 for good.
    await writeRelease(2);
    const before = fake.purged().urls.length;
    let accepted = 0;
    fake.server.faults = (request) => {
      if (!request.url.startsWith('/purge/')) return undefined;
      if (accepted < ACCEPTED_BEFORE_STORM) {
        accepted += 1;
        return undefined;
      }
      return fastlyFaults.rateLimited();
    };
    const failed = await run();
    expect(failed.ok).toBe(false);
    const purgedInStorm = fake.purged().urls.slice(before);
    expect(purgedInStorm).toHaveLength(ACCEPTED_BEFORE_STORM);
    // The report counts what was in fact purged, and names the rest.
    expect(failed.purge.urls).toBe(ACCEPTED_BEFORE_STORM);
    const notPurged = failed.purge.failed.flatMap((failure) => failure.targets ?? []);
    expect(notPurged).toHaveLength(FILES - ACCEPTED_BEFORE_STORM);
    const all = Array.from({ length: FILES }, (_, i) => `http://${SITE_HOST}/${name(i)}`);
    expect(sorted([...purgedInStorm.map((p) => `http://${p}`), ...notPurged])).toEqual(all);
    expect(failed.error?.message).toContain('purge.maxWaitSeconds');
    expect(failed.baseline.saved).toBe(false);
    // The journal holds exactly the purged ones.
    const journal = (await readFile(join(work, 'state', 'baseline.json.journal'), 'utf8'))
      .split('\n')
      .slice(1)
      .filter((line) => line !== '')
      .flatMap((line) => (JSON.parse(line) as { targets: string[] }).targets);
    expect(sorted(journal)).toEqual(sorted(purgedInStorm.map((p) => `http://${p}`)));

    // The storm is over: the rerun resumes, sends only the 15 left, and proves all 40 fresh.
    fake.server.faults = () => undefined;
    const resumed = await run();
    expect(resumed.error).toBeUndefined();
    expect(resumed.purge).toMatchObject({
      skipped: ACCEPTED_BEFORE_STORM,
      urls: FILES - ACCEPTED_BEFORE_STORM,
      failed: [],
    });
    const sentOnResume = fake.purged().urls.slice(before + ACCEPTED_BEFORE_STORM);
    expect(sorted(sentOnResume.map((p) => `http://${p}`))).toEqual(sorted(notPurged));
    expect(resumed.verify).toMatchObject({ ok: true, checked: FILES, stale: [] });
    expect(resumed.baseline.saved).toBe(true);
  });
});
