/**
 * `deploy` and `purge` through the CloudFront provider: the official AWS SDK (signing with
 * static test credentials) against the loopback REST-XML fake, in-process with runMain. The
 * fake forwards each invalidation to the embedded edge (PURGE a path, BAN a wildcard), so a
 * path that was not invalidated would be stale there and verification would fail.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type DemoEdge, startEdge } from '../../src/demo/edge-proxy.ts';
import { type DemoServer, startOrigin } from '../../src/demo/origin-server.ts';
import { silentLogger } from '../../src/log.ts';
import type { PlanEntry } from '../../src/plan/plan-purges.ts';
import { type CloudfrontConfig, createCloudfrontProvider } from '../../src/providers/cloudfront.ts';
import { executePlan } from '../../src/purge/execute-plan.ts';
import { type Journal, noJournal } from '../../src/purge/journal.ts';
import {
  cloudfrontErrorBody,
  type FakeCloudfront,
  startFakeCloudfront,
} from '../support/fake-cloudfront.ts';
import { fakeClock } from '../support/memory-provider.ts';
import { BIN } from '../support/run-cli.ts';
import { runMain } from '../support/run-main.ts';
import { httpRequest } from '../support/stack.ts';

const HOST = 'www.example.test';
const DISTRIBUTION = 'E2QWRUHAPOMQZL';
const KEY_ID = 'AKIAEDGEPURGETEST01';
// Distinctive, so that any appearance in output is certainly this secret.
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCY-SECRET-4f1e9d';
const SESSION = 'IQoJb3JpZ2luX2VjEFAKE-SESSION-TOKEN-77c1a9e0b2';
const ENV = {
  AWS_ACCESS_KEY_ID: KEY_ID,
  AWS_SECRET_ACCESS_KEY: SECRET,
  AWS_SESSION_TOKEN: SESSION,
};

interface DeployJson {
  ok: boolean;
  error?: { code: string; message: string; hint?: string };
  purge: {
    failed: { error: string; hint?: string }[];
    skipped: number;
    invalidations?: { id: string; status: string; targets: number; resumed?: boolean }[];
  };
  verify: { ok: boolean; checked: number };
  baseline: { saved: boolean };
}

describe('CloudFront (AWS SDK → loopback REST-XML API), verified at the embedded edge', () => {
  let work: string;
  let origin: DemoServer;
  let edge: DemoEdge;
  let fake: FakeCloudfront;
  let onCreate: () => void;

  async function start(options: { completeAfterPolls?: number; secret?: string } = {}) {
    fake = await startFakeCloudfront({
      accessKeyId: KEY_ID,
      secretAccessKey: options.secret ?? SECRET,
      distributions: [DISTRIBUTION],
      completeAfterPolls: options.completeAfterPolls ?? 2,
      onInvalidate: async (paths) => {
        onCreate();
        for (const path of paths) {
          const wildcard = path.endsWith('*');
          const answer = await httpRequest(`${edge.url}${wildcard ? '/' : path}`, {
            method: wildcard ? 'BAN' : 'PURGE',
            host: HOST,
            ...(wildcard ? { headers: { 'X-Ban-Path': path.slice(0, -1) } } : {}),
          });
          if (answer.status !== 200) throw new Error(`edge answered ${answer.status}`);
        }
      },
    });
  }

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'edgepurge-cloudfront-'));
    await mkdir(join(work, 'site', 'assets'), { recursive: true });
    origin = await startOrigin({ root: join(work, 'site') });
    edge = await startEdge({ origin: origin.url });
    onCreate = () => {};
  });
  afterEach(async () => {
    await fake?.server.close();
    await edge.close();
    await origin.close();
    await rm(work, { recursive: true, force: true });
  });

  async function writeConfig(
    provider: Record<string, unknown>,
    purge: Record<string, unknown> = {},
  ) {
    await writeFile(
      join(work, 'edgepurge.config.json'),
      JSON.stringify({
        dir: 'site',
        baseUrl: `http://${HOST}`,
        baseline: 'state/baseline.json',
        providers: [
          { type: 'cloudfront', distributionId: DISTRIBUTION, endpoint: fake.url, ...provider },
        ],
        purge,
        verify: { connectTo: [`${HOST}:80:127.0.0.1:${edge.port}`], timeoutSeconds: 5 },
      }),
    );
  }

  async function writeRelease(release: number) {
    await writeFile(join(work, 'site', 'index.html'), `<h1>release ${release}</h1>\n`);
    await writeFile(join(work, 'site', 'about.html'), '<h1>about</h1>\n');
    await writeFile(join(work, 'site', 'a b.txt'), `spaced ${release}\n`);
    for (let i = 0; i < 6; i++) {
      // assets/5.css never changes: a wildcard over assets/ evicts it too (collateral 1).
      const content = i === 5 ? 'kept\n' : `asset ${i}, release ${release}\n`;
      await writeFile(join(work, 'site', 'assets', `${i}.css`), content);
    }
  }

  const deploy = (args: string[] = [], signal?: AbortSignal) =>
    runMain(['deploy', '--json', ...args], { cwd: work, env: ENV, ...(signal ? { signal } : {}) });

  it('invalidates exactly the changed paths, waits until Completed, then verifies', async () => {
    await start();
    await writeConfig({});
    await writeRelease(1);
    const first = await deploy();
    expect(first.code, first.stderr).toBe(0);
    const created = fake.invalidations().length;

    await writeRelease(2);
    const second = await deploy(['--report', 'report.md', '--report', 'report.html']);
    expect(second.code, second.stderr).toBe(0);
    const result = JSON.parse(second.stdout) as DeployJson;
    // Nothing billed either way (1,000 free paths) and a wildcard would evict assets/5.css:
    // exact paths, URL-encoded as CloudFront wants them (a space as %20).
    const [invalidation] = fake.invalidations().slice(created);
    expect(fake.invalidations()).toHaveLength(created + 1);
    expect([...(invalidation?.paths ?? [])].sort()).toEqual(
      [
        '/',
        '/index.html',
        '/a%20b.txt',
        '/assets/0.css',
        '/assets/1.css',
        '/assets/2.css',
        '/assets/3.css',
        '/assets/4.css',
      ].sort(),
    );
    // Waited: polled until the fake said Completed (after 2 polls), before verification.
    const polls = fake.server.requests.filter(
      (r) => r.method === 'GET' && r.url.endsWith(`/invalidation/${invalidation?.id}`),
    );
    expect(polls).toHaveLength(2);
    expect(result.purge.invalidations).toEqual([
      expect.objectContaining({ id: invalidation?.id, status: 'Completed', targets: 8 }),
    ]);
    expect(result.verify).toMatchObject({ ok: true });
    expect(result.baseline.saved).toBe(true);
    expect(second.stderr).toContain(`invalidation ${invalidation?.id} completed`);
    // The reports name the invalidation and how long it took.
    for (const report of ['report.md', 'report.html']) {
      expect(await readFile(join(work, report), 'utf8')).toMatch(
        new RegExp(
          `cloudfront: invalidation ${invalidation?.id} Completed in [0-9.]+ s \\(8 paths\\)`,
        ),
      );
    }
  });

  it('chooses /assets/* when paths are billed (freePathsPerMonth 0) and the collateral is allowed', async () => {
    await start();
    await writeConfig({ freePathsPerMonth: 0 }, { maxCollateral: 1 });
    await writeRelease(1);
    expect((await deploy()).code).toBe(0);
    const created = fake.invalidations().length;
    await writeRelease(2);
    const run = await deploy();
    expect(run.code, run.stderr).toBe(0);
    const paths = fake
      .invalidations()
      .slice(created)
      .flatMap((i) => i.paths);
    expect([...paths].sort()).toEqual(['/', '/a%20b.txt', '/assets/*', '/index.html'].sort());
    expect((JSON.parse(run.stdout) as DeployJson).verify.ok).toBe(true);
  });

  it('a wait longer than timeoutSeconds fails naming the invalidation; the rerun waits for it and creates none', async () => {
    await start();
    await writeConfig({ timeoutSeconds: 1 });
    await writeRelease(1);
    expect((await deploy()).code).toBe(0);
    const created = fake.invalidations().length;

    // CloudFront is slow today: the invalidation stays InProgress.
    fake.completeAfterPolls = Number.POSITIVE_INFINITY;
    await writeRelease(2);
    const failed = await deploy();
    expect(failed.code, failed.stderr + failed.stdout).toBe(1);
    const result = JSON.parse(failed.stdout) as DeployJson;
    const pending = fake.invalidations()[created];
    expect(pending?.status).toBe('InProgress');
    expect(result.error?.message).toContain(`invalidation ${pending?.id} still in progress`);
    expect(result.error?.hint).toContain('timeoutSeconds');
    expect(result.purge.invalidations).toEqual([
      expect.objectContaining({ id: pending?.id, status: 'InProgress' }),
    ]);
    expect(result.verify.checked).toBe(0);
    expect(result.baseline.saved).toBe(false);

    // CloudFront finishes it meanwhile; the rerun resumes: no new invalidation, it waits for
    // the journaled one, then verifies.
    fake.complete();
    const resumed = await deploy();
    expect(resumed.code, resumed.stderr).toBe(0);
    const again = JSON.parse(resumed.stdout) as DeployJson;
    expect(fake.invalidations()).toHaveLength(created + 1);
    expect(again.purge.skipped).toBeGreaterThan(0);
    expect(again.purge.invalidations).toEqual([
      expect.objectContaining({
        id: pending?.id,
        status: 'Completed',
        resumed: true,
        targets: pending?.paths.length,
      }),
    ]);
    expect(again.verify.ok).toBe(true);
  });

  it('a run killed after CloudFront created the invalidation: the rerun gets the same one back, none created', async () => {
    await start();
    await writeConfig({});
    await writeRelease(1);
    expect((await deploy()).code).toBe(0);
    const before = fake.invalidations().length;

    await writeRelease(2);
    // The process dies between CloudFront's answer and the journal line: abort as the fake
    // creates the invalidation, and lose the answer.
    const killed = new AbortController();
    onCreate = () => killed.abort(new Error('killed'));
    fake.loseNextCreateResponse = true;
    const killedRun = await deploy([], killed.signal);
    expect(killedRun.code).not.toBe(0);
    onCreate = () => {};
    // The fake finishes creating after the run stopped listening.
    await vi.waitFor(() => expect(fake.invalidations()).toHaveLength(before + 1));
    const journal = await readFile(join(work, 'state', 'baseline.json.journal'), 'utf8');
    expect(journal).toContain('"run"');

    const resumed = await deploy();
    expect(resumed.code, resumed.stderr).toBe(0);
    // Same CallerReference (same run, same paths): CloudFront answered with the existing one.
    expect(fake.invalidations()).toHaveLength(before + 1);
    const creates = fake.server.requests.filter((r) => r.method === 'POST');
    expect(creates.length).toBe(before + 2);
    const result = JSON.parse(resumed.stdout) as DeployJson;
    expect(result.purge.invalidations?.map((i) => i.id)).toEqual([fake.invalidations().at(-1)?.id]);
    expect(result.verify.ok).toBe(true);
  });

  it('kill -9 of the CLI right as CloudFront creates the invalidation: the rerun creates none', async () => {
    await start();
    await writeConfig({});
    await writeRelease(1);
    expect((await deploy()).code).toBe(0);
    const before = fake.invalidations().length;

    await writeRelease(2);
    const child = spawn(process.execPath, [BIN, 'deploy', '--json'], {
      cwd: work,
      env: { PATH: process.env.PATH, HOME: work, ...ENV },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    // The process dies while CloudFront creates the invalidation: it never hears the answer.
    onCreate = () => child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    onCreate = () => {};
    await vi.waitFor(() => expect(fake.invalidations()).toHaveLength(before + 1));

    const resumed = await deploy();
    expect(resumed.code, resumed.stderr).toBe(0);
    // The journal's run gave the same CallerReference: CloudFront answered with the one it made.
    expect(fake.invalidations()).toHaveLength(before + 1);
    const result = JSON.parse(resumed.stdout) as DeployJson;
    expect(result.purge.invalidations?.map((i) => i.id)).toEqual([fake.invalidations().at(-1)?.id]);
    expect(result.verify.ok).toBe(true);
  });

  it('credentials CloudFront refuses: exit 1 with the IAM hint, and no secret in any output', async () => {
    await start({ secret: 'the-real-secret-is-another-one-0123' });
    await writeConfig({});
    await writeRelease(1);
    const run = await deploy();
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as DeployJson;
    expect(result.error?.message).toContain('SignatureDoesNotMatch');
    expect(result.error?.hint).toContain('cloudfront:CreateInvalidation');
    expect(fake.invalidations()).toHaveLength(0);
    // One request: an auth failure is not retried.
    expect(fake.server.requests).toHaveLength(1);
    for (const output of [run.stdout, run.stderr]) {
      expect(output).not.toContain(SECRET);
      expect(output).not.toContain(SESSION);
    }
  });

  it('--dry-run prints the exact CreateInvalidation requests and sends nothing', async () => {
    await start();
    await writeConfig({});
    await writeRelease(1);
    const run = await runMain(['deploy', '--dry-run'], { cwd: work, env: {} });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      `would send cloudfront: POST /2020-05-31/distribution/${DISTRIBUTION}/invalidation Paths(`,
    );
    expect(run.stdout).toContain('/a%20b.txt');
    expect(fake.server.requests).toHaveLength(0);
  });

  it('purge --distribution-id: a manual dry run shows the paths, a wildcard for a prefix', async () => {
    const run = await runMain(
      [
        'purge',
        '--distribution-id',
        DISTRIBUTION,
        '--url',
        `http://${HOST}/caf%C3%A9.html`,
        '--prefix',
        `${HOST}/blog/`,
        '--dry-run',
      ],
      { cwd: work, env: {} },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      `cloudfront: POST /2020-05-31/distribution/${DISTRIBUTION}/invalidation Paths(1): /caf%C3%A9.html`,
    );
    expect(run.stdout).toContain('Paths(1): /blog/*');
  });
});

describe('the CloudFront provider under the executor (fake clock)', () => {
  const fakes: FakeCloudfront[] = [];
  afterEach(async () => {
    await Promise.all(fakes.splice(0).map((f) => f.server.close()));
  });

  async function subject(config: Partial<CloudfrontConfig> = {}) {
    const fake = await startFakeCloudfront({
      accessKeyId: KEY_ID,
      secretAccessKey: SECRET,
      distributions: [DISTRIBUTION],
      completeAfterPolls: 3,
    });
    fakes.push(fake);
    const clock = fakeClock();
    const provider = createCloudfrontProvider(
      {
        type: 'cloudfront',
        distributionId: DISTRIBUTION,
        wait: true,
        timeoutSeconds: 900,
        freePathsPerMonth: 1000,
        endpoint: fake.url,
        ...config,
      },
      { credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET }, clock },
    );
    const run = (entries: PlanEntry[], journal: Journal = noJournal) =>
      executePlan(
        {
          version: 2,
          baseUrl: `https://${HOST}`,
          urls: 0,
          providers: [
            {
              provider: provider.name,
              type: provider.type,
              entries,
              requests: entries.length,
              lowerBound: entries.length,
              collateral: 0,
              minSeconds: 0,
            },
          ],
        },
        [provider],
        { signal: AbortSignal.timeout(30_000), log: silentLogger, clock, journal },
      ).finally(() => provider.close?.());
    return { fake, provider, clock, run };
  }

  const pages = (n: number) =>
    Array.from({ length: n }, (_, i) => `https://${HOST}/p/${String(i).padStart(4, '0')}.html`);

  it('4,500 paths: the second invalidation waits for room under the 3,000 in progress, never refused', async () => {
    const { fake, run } = await subject();
    const all = pages(4_500);
    const summary = await run([
      { kind: 'urls', urls: all.slice(0, 3_000), reason: 'changed' },
      { kind: 'urls', urls: all.slice(3_000), reason: 'changed' },
    ]);
    expect(summary.failed).toEqual([]);
    expect(summary.rateLimited).toBe(0);
    expect(fake.invalidations().map((i) => i.paths.length)).toEqual([3_000, 1_500]);
    // The second was created only after the first had completed.
    const [first, second] = fake.invalidations();
    const posts = fake.server.requests.filter((r) => r.method === 'POST').map((r) => r.index);
    const firstDone = fake.server.requests.filter((r) => r.url.endsWith(`/${first?.id}`)).at(-1);
    expect((firstDone?.index ?? 0) < (posts[1] ?? 0)).toBe(true);
    expect(summary.invalidations?.map((i) => [i.id, i.status])).toEqual([
      [first?.id, 'Completed'],
      [second?.id, 'Completed'],
    ]);
  });

  it('20 wildcards: 15 in the first invalidation, the other 5 once they completed', async () => {
    const { fake, run } = await subject();
    const prefixes = Array.from({ length: 20 }, (_, i) => `${HOST}/d${i}/`);
    const summary = await run([
      { kind: 'prefixes', prefixes: prefixes.slice(0, 15), reason: 'collapsed' },
      { kind: 'prefixes', prefixes: prefixes.slice(15), reason: 'collapsed' },
    ]);
    expect(summary.failed).toEqual([]);
    expect(fake.invalidations().map((i) => i.paths)).toEqual([
      prefixes.slice(0, 15).map((_, i) => `/d${i}/*`),
      prefixes.slice(15).map((_, i) => `/d${i + 15}/*`),
    ]);
  });

  it('an answer lost after CloudFront created the invalidation: the retry gets the same one back', async () => {
    const { fake, run } = await subject({ wait: false });
    fake.loseNextCreateResponse = true;
    const summary = await run([{ kind: 'urls', urls: pages(3), reason: 'changed' }]);
    expect(summary.failed).toEqual([]);
    expect(summary.retries).toBe(1);
    expect(fake.server.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
    expect(fake.invalidations()).toHaveLength(1);
    // wait: false — not polled, but still reported.
    expect(fake.server.requests.filter((r) => r.method === 'GET')).toHaveLength(0);
    expect(summary.invalidations).toEqual([
      expect.objectContaining({
        id: fake.invalidations()[0]?.id,
        status: 'InProgress',
        waited: false,
      }),
    ]);
  });

  it('TooManyInvalidationsInProgress from invalidations not its own is waited out like a 429', async () => {
    const { fake, run } = await subject({ wait: false });
    let refused = 0;
    fake.server.faults = (request) => {
      if (request.method !== 'POST' || refused >= 2) return undefined;
      refused += 1;
      return {
        status: 400,
        headers: { 'content-type': 'text/xml' },
        body: cloudfrontErrorBody(
          'Sender',
          'TooManyInvalidationsInProgress',
          'Your request contains too many invalidations in progress.',
        ),
      };
    };
    const summary = await run([{ kind: 'urls', urls: pages(2), reason: 'changed' }]);
    expect(summary.failed).toEqual([]);
    expect(summary.rateLimited).toBe(2);
    expect(fake.invalidations()).toHaveLength(1);
  });
});

describe('the fake CloudFront API, read through the real SDK', () => {
  it('ListInvalidations pages newest first, GetInvalidation parses, errors carry their codes', async () => {
    const fake = await startFakeCloudfront({
      accessKeyId: KEY_ID,
      secretAccessKey: SECRET,
      distributions: [DISTRIBUTION],
    });
    const {
      CloudFrontClient,
      CreateInvalidationCommand,
      GetInvalidationCommand,
      ListInvalidationsCommand,
    } = await import('@aws-sdk/client-cloudfront');
    const client = new CloudFrontClient({
      region: 'us-east-1',
      endpoint: fake.url,
      credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
      maxAttempts: 1,
    });
    try {
      for (const n of [1, 2, 3]) {
        await client.send(
          new CreateInvalidationCommand({
            DistributionId: DISTRIBUTION,
            InvalidationBatch: {
              CallerReference: `ref-${n}`,
              Paths: { Quantity: 1, Items: [`/p${n}`] },
            },
          }),
        );
      }
      const page = await client.send(
        new ListInvalidationsCommand({ DistributionId: DISTRIBUTION, MaxItems: 2 }),
      );
      const ids = fake.invalidations().map((i) => i.id);
      expect(page.InvalidationList?.Items?.map((i) => i.Id)).toEqual([ids[2], ids[1]]);
      expect(page.InvalidationList).toMatchObject({ IsTruncated: true, Quantity: 2 });
      const rest = await client.send(
        new ListInvalidationsCommand({
          DistributionId: DISTRIBUTION,
          Marker: page.InvalidationList?.NextMarker,
        }),
      );
      expect(rest.InvalidationList?.Items?.map((i) => i.Id)).toEqual([ids[0]]);

      const got = await client.send(
        new GetInvalidationCommand({ DistributionId: DISTRIBUTION, Id: ids[0] }),
      );
      expect(got.Invalidation).toMatchObject({ Id: ids[0], Status: 'Completed' });
      expect(got.Invalidation?.InvalidationBatch?.Paths?.Items).toEqual(['/p1']);
      expect(got.Invalidation?.CreateTime).toBeInstanceOf(Date);

      // The same CallerReference with other paths: refused; a wildcard inside a path: refused.
      const conflict = await client
        .send(
          new CreateInvalidationCommand({
            DistributionId: DISTRIBUTION,
            InvalidationBatch: {
              CallerReference: 'ref-1',
              Paths: { Quantity: 1, Items: ['/other'] },
            },
          }),
        )
        .catch((error: Error) => error);
      expect(conflict).toMatchObject({ name: 'InvalidationBatchAlreadyExists' });
      const invalid = await client
        .send(
          new CreateInvalidationCommand({
            DistributionId: DISTRIBUTION,
            InvalidationBatch: {
              CallerReference: 'ref-9',
              Paths: { Quantity: 1, Items: ['/a*/b'] },
            },
          }),
        )
        .catch((error: Error) => error);
      expect(invalid).toMatchObject({
        name: 'InvalidArgument',
        $metadata: { httpStatusCode: 400 },
      });
      const missing = await client
        .send(new GetInvalidationCommand({ DistributionId: DISTRIBUTION, Id: 'INOPE' }))
        .catch((error: Error) => error);
      expect(missing).toMatchObject({
        name: 'NoSuchInvalidation',
        $metadata: { httpStatusCode: 404 },
      });
    } finally {
      client.destroy();
      await fake.server.close();
    }
  });
});
