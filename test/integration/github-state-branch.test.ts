import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EdgepurgeError, isEdgepurgeError } from '../../src/errors.ts';
import { openBaselineStore } from '../../src/github/open-baseline-store.ts';
import { createStateBranchStore } from '../../src/github/state-branch-store.ts';
import { serializeManifest } from '../../src/manifest/manifest.ts';
import { packManifest, unpackManifest } from '../../src/manifest/packed-manifest.ts';
import type { BaselineStore } from '../../src/pipeline/baseline-store.ts';
import {
  FAKE_GITHUB_TOKEN,
  type FakeGitHub,
  githubFaults,
  startFakeGitHub,
} from '../support/fake-github.ts';
import { collectLog, fakeClient, makeManifest } from '../support/fake-github-client.ts';

const BRANCH = 'edgepurge-state';
const PATH = 'production/manifest.json.gz';
/** Where edgepurge before compression kept the baseline; still read. */
const PLAIN_PATH = 'production/manifest.json';

let fake: FakeGitHub;
beforeEach(async () => {
  fake = await startFakeGitHub();
});
afterEach(async () => {
  // Every request the code under test sent matched GitHub's description.
  expect(fake.violations).toEqual([]);
  await fake.close();
});

function store(
  options: {
    environment?: string;
    repo?: string;
    token?: string;
    log?: ReturnType<typeof collectLog>;
    maxBlobBytes?: number;
  } = {},
): BaselineStore {
  return createStateBranchStore({
    octokit: fakeClient(fake, {
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.log === undefined ? {} : { log: options.log }),
    }),
    owner: 'acme',
    repo: options.repo ?? 'site',
    branch: BRANCH,
    environment: options.environment ?? 'production',
    revision: '0123456789abcdef0123456789abcdef01234567',
    ...(options.maxBlobBytes === undefined ? {} : { maxBlobBytes: options.maxBlobBytes }),
  });
}

/** The manifest text stored at `path` on the state branch (gunzipped), or undefined. */
function storedText(path = PATH): string | undefined {
  const bytes = fake.bytesOnBranch(BRANCH, path);
  return bytes === undefined ? undefined : gunzipSync(bytes).toString('utf8');
}

/** Commits files to the state branch as another writer (an older edgepurge) would. */
async function commitFiles(files: Record<string, Buffer>): Promise<void> {
  const octokit = fakeClient(fake);
  const ref = `heads/${BRANCH}`;
  const tip = fake.refs.get(`refs/${ref}`);
  const parent = tip === undefined ? undefined : fake.git.get(tip, 'commit');
  const tree = await octokit.rest.git.createTree({
    owner: 'acme',
    repo: 'site',
    ...(parent === undefined ? {} : { base_tree: parent.tree }),
    tree: await Promise.all(
      Object.entries(files).map(async ([path, content]) => {
        const blob = await octokit.rest.git.createBlob({
          owner: 'acme',
          repo: 'site',
          content: content.toString('base64'),
          encoding: 'base64',
        });
        return { path, mode: '100644' as const, type: 'blob' as const, sha: blob.data.sha };
      }),
    ),
  });
  const commit = await octokit.rest.git.createCommit({
    owner: 'acme',
    repo: 'site',
    message: 'older edgepurge',
    tree: tree.data.sha,
    parents: tip === undefined ? [] : [tip],
  });
  if (tip === undefined) {
    await octokit.rest.git.createRef({
      owner: 'acme',
      repo: 'site',
      ref: `refs/${ref}`,
      sha: commit.data.sha,
    });
  } else {
    await octokit.rest.git.updateRef({ owner: 'acme', repo: 'site', ref, sha: commit.data.sha });
  }
}

async function failure(promise: Promise<unknown>): Promise<EdgepurgeError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!isEdgepurgeError(error)) throw new Error(`expected an EdgepurgeError, got ${String(error)}`);
  return error;
}

const requestsTo = (method: string, part: string) =>
  fake.server.requests.filter((r) => r.method === method && r.url.includes(part));

describe('state branch baseline', () => {
  it('reads nothing on a first deploy, then creates the orphan branch and reads it back', async () => {
    const first = store();
    expect(await first.read()).toBeUndefined();
    // A missing branch is only a first deploy once the repository is known to exist.
    expect(requestsTo('GET', '/repos/acme/site')).not.toHaveLength(0);
    expect(fake.refs.size).toBe(0);

    const manifest = makeManifest(20);
    await first.write(packManifest(manifest));
    expect(storedText()).toBe(serializeManifest(manifest));
    const tip = fake.refs.get(`refs/heads/${BRANCH}`) as string;
    const commit = fake.git.get(tip, 'commit');
    expect(commit?.parents).toEqual([]);
    expect(commit?.message).toBe(
      'edgepurge: production baseline for 0123456789abcdef0123456789abcdef01234567',
    );
    // Through the Git Data API: a base64 blob, not the Contents API.
    const blob = JSON.parse(requestsTo('POST', '/git/blobs')[0]?.body ?? '{}');
    expect(blob.encoding).toBe('base64');
    expect(requestsTo('PUT', '/contents/')).toEqual([]);

    const again = await store().read();
    expect(again && serializeManifest(unpackManifest(again))).toBe(serializeManifest(manifest));
  });

  it('saves the next release on top of the tip it read, with a non-forced update', async () => {
    await store().write(packManifest(makeManifest(5, 'one')));
    const firstTip = fake.refs.get(`refs/heads/${BRANCH}`) as string;
    const next = store();
    await next.read();
    await next.write(packManifest(makeManifest(6, 'two')));
    const tip = fake.refs.get(`refs/heads/${BRANCH}`) as string;
    expect(fake.git.get(tip, 'commit')?.parents).toEqual([firstTip]);
    const update = requestsTo('PATCH', '/git/refs/heads')[0];
    expect(JSON.parse(update?.body ?? '{}')).toEqual({ sha: tip, force: false });
    expect(storedText()).toBe(serializeManifest(makeManifest(6, 'two')));
  });

  it('makes no commit when the release saved is the one already stored', async () => {
    await store().write(packManifest(makeManifest(5, 'same')));
    const tip = fake.refs.get(`refs/heads/${BRANCH}`);
    const next = store();
    await next.read();
    const posts = fake.server.requests.filter((r) => r.method !== 'GET').length;
    await next.write(packManifest(makeManifest(5, 'same')));
    expect(fake.refs.get(`refs/heads/${BRANCH}`)).toBe(tip);
    expect(fake.server.requests.filter((r) => r.method !== 'GET')).toHaveLength(posts);
  });

  it('round-trips a manifest of 100,000 files', async () => {
    const manifest = makeManifest(100_000);
    const text = serializeManifest(manifest);
    // Far over the 1 MB that the Contents API reads.
    expect(text.length).toBeGreaterThan(15_000_000);
    await store().write(packManifest(manifest));
    const read = await store().read();
    expect(read?.files.count).toBe(100_000);
    expect(read && serializeManifest(unpackManifest(read))).toBe(text);
  });

  it('stores the baseline gzipped, a fraction of the JSON, and reads it back', async () => {
    const manifest = makeManifest(1000);
    await store().write(packManifest(manifest));
    const gz = fake.bytesOnBranch(BRANCH, PATH) as Buffer;
    expect(gz.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(gz.length).toBeLessThan(serializeManifest(manifest).length / 3);
    expect(fake.bytesOnBranch(BRANCH, PLAIN_PATH)).toBeUndefined();
    const read = await store().read();
    expect(read && serializeManifest(unpackManifest(read))).toBe(serializeManifest(manifest));
  });

  it('reads the uncompressed manifest.json of an older edgepurge, and replaces it on save', async () => {
    const old = makeManifest(4, 'old');
    await commitFiles({ [PLAIN_PATH]: Buffer.from(serializeManifest(old)) });
    const next = store();
    const read = await next.read();
    expect(read && serializeManifest(unpackManifest(read))).toBe(serializeManifest(old));
    const oldTip = fake.refs.get(`refs/heads/${BRANCH}`);
    await next.write(packManifest(makeManifest(5, 'new')));
    // One commit on top of the old tip: the .gz written, the plain file gone.
    const tip = fake.refs.get(`refs/heads/${BRANCH}`) as string;
    expect(fake.git.get(tip, 'commit')?.parents).toEqual([oldTip]);
    expect(storedText()).toBe(serializeManifest(makeManifest(5, 'new')));
    expect(fake.bytesOnBranch(BRANCH, PLAIN_PATH)).toBeUndefined();
  });

  it('prefers manifest.json.gz when a plain manifest.json sits beside it', async () => {
    const compressed = makeManifest(3, 'gz');
    await commitFiles({
      [PATH]: gzipSync(serializeManifest(compressed)),
      [PLAIN_PATH]: Buffer.from(serializeManifest(makeManifest(3, 'plain'))),
    });
    const read = await store().read();
    expect(read && serializeManifest(unpackManifest(read))).toBe(serializeManifest(compressed));
  });

  it('refuses a damaged or inflating .gz with exit 2, naming it', async () => {
    const text = serializeManifest(makeManifest(50));
    await commitFiles({ [PATH]: gzipSync(text).subarray(0, 200) });
    const truncated = await failure(store().read());
    expect(truncated.exitCode).toBe(2);
    expect(truncated.code).toBe('E_MANIFEST');
    expect(truncated.message).toContain(`github:${BRANCH}:${PATH}`);
    expect(truncated.message).toContain('not a whole gzip stream');

    await commitFiles({ [PATH]: Buffer.from(text) });
    expect((await failure(store().read())).code).toBe('E_MANIFEST');
  });

  it("refuses a baseline over GitHub's file limit precisely, writing nothing", async () => {
    await store().write(packManifest(makeManifest(2, 'small')));
    const tip = fake.refs.get(`refs/heads/${BRANCH}`);
    const blobs = requestsTo('POST', '/git/blobs').length;
    const big = store({ maxBlobBytes: 1000 });
    await big.read();
    const error = await failure(big.write(packManifest(makeManifest(500))));
    expect(error.exitCode).toBe(2);
    expect(error.code).toBe('E_BASELINE_TOO_LARGE');
    expect(error.at).toBe('saveBaseline');
    expect(error.message).toMatch(/is \d+ bytes gzipped \(500 files\), over the 1000 bytes/);
    expect(error.hint).toContain('saveBaseline: path/to/baseline.json');
    expect(fake.refs.get(`refs/heads/${BRANCH}`)).toBe(tip);
    expect(requestsTo('POST', '/git/blobs')).toHaveLength(blobs);
  });

  it('keeps the other environments when one is saved', async () => {
    const staging = makeManifest(3, 'staging');
    await store({ environment: 'staging' }).write(packManifest(staging));
    const production = store();
    await production.read();
    await production.write(packManifest(makeManifest(4, 'production')));
    expect(storedText('staging/manifest.json.gz')).toBe(serializeManifest(staging));
    expect(storedText()).toBe(serializeManifest(makeManifest(4, 'production')));
    // A branch without this environment's folder is that environment's first deploy.
    expect(await store({ environment: 'preview' }).read()).toBeUndefined();
  });

  it('lets the first of two racing deploys win and refuses the second, writing nothing', async () => {
    await store().write(packManifest(makeManifest(5, 'base')));
    const a = store();
    const b = store();
    await a.read();
    await b.read();
    const winner = makeManifest(7, 'a');
    await a.write(packManifest(winner));
    const tip = fake.refs.get(`refs/heads/${BRANCH}`);
    const error = await failure(b.write(packManifest(makeManifest(9, 'b'))));
    expect(error.code).toBe('E_BASELINE_RACE');
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('another deploy of production saved a baseline');
    expect(error.message).toContain('nothing was written');
    expect(error.hint).toContain('run deploy again');
    expect(error.hint).toContain('concurrency:');
    expect(fake.refs.get(`refs/heads/${BRANCH}`)).toBe(tip);
    expect(storedText()).toBe(serializeManifest(winner));
  });

  it('refuses the second of two racing first deploys (the branch appeared meanwhile)', async () => {
    const a = store();
    const b = store();
    expect(await a.read()).toBeUndefined();
    expect(await b.read()).toBeUndefined();
    await a.write(packManifest(makeManifest(2, 'a')));
    const error = await failure(b.write(packManifest(makeManifest(3, 'b'))));
    expect(error.code).toBe('E_BASELINE_RACE');
    expect(storedText()).toBe(serializeManifest(makeManifest(2, 'a')));
  });
});

describe('state branch errors', () => {
  it('takes a ref write that landed but lost its answer as saved, not as a race', async () => {
    fake.injectFaultsAfter(
      (request) => request.method === 'POST' && request.url.endsWith('/git/refs'),
      [githubFaults.serverError(502)],
    );
    const saving = store();
    expect(await saving.read()).toBeUndefined();
    await saving.write(packManifest(makeManifest(2)));
    // The retry met "Reference already exists" with its own commit: a success.
    expect(requestsTo('POST', '/git/refs')).toHaveLength(2);
    expect(storedText()).toBe(serializeManifest(makeManifest(2)));
  });

  it('names an empty repository (no commit yet) instead of a first deploy', async () => {
    fake.empty = true;
    const error = await failure(store().read());
    expect(error.exitCode).toBe(2);
    expect(error.code).toBe('E_GITHUB_EMPTY_REPOSITORY');
    expect(error.hint).toContain('push one first');
  });

  it('maps a wrong token to exit 2 naming GITHUB_TOKEN, without printing it', async () => {
    const error = await failure(store({ token: 'ghp_wrongTokenValue1234567890' }).read());
    expect(error.exitCode).toBe(2);
    expect(error.code).toBe('E_GITHUB_AUTH');
    expect(error.at).toBe('GITHUB_TOKEN');
    expect(error.message).toContain('401');
    expect(error.hint).toContain('github-token');
    expect(JSON.stringify(error.toJSON())).not.toContain('ghp_wrongTokenValue1234567890');
  });

  it('maps a forbidden read to exit 2 with the permission to grant', async () => {
    fake.injectFaults(() => true, [githubFaults.forbidden()]);
    const error = await failure(store().read());
    expect(error.exitCode).toBe(2);
    expect(error.code).toBe('E_GITHUB_FORBIDDEN');
    expect(error.hint).toContain('permissions: contents: write');
    expect(error.hint).toContain('fork');
  });

  it('tells an unknown repository (404) from a first deploy', async () => {
    const error = await failure(store({ repo: 'no-such-repo' }).read());
    expect(error.exitCode).toBe(2);
    expect(error.code).toBe('E_GITHUB_NOT_FOUND');
    expect(error.at).toBe('GITHUB_REPOSITORY');
    expect(error.hint).toContain('acme/no-such-repo');
  });

  it('retries reset connections and 5xx, then fails with exit 1 and the cause', async () => {
    fake.injectFaults(() => true, [githubFaults.reset(), githubFaults.serverError(502)]);
    expect(await store().read()).toBeUndefined();

    fake.injectFaults(
      () => true,
      Array.from({ length: 4 }, () => githubFaults.serverError(503)),
    );
    const unavailable = await failure(store().read());
    expect(unavailable.exitCode).toBe(1);
    expect(unavailable.code).toBe('E_GITHUB_UNAVAILABLE');
    expect(unavailable.message).toContain('503');

    fake.injectFaults(
      () => true,
      Array.from({ length: 4 }, () => githubFaults.reset()),
    );
    const network = await failure(store().read());
    expect(network.exitCode).toBe(1);
    expect(network.code).toBe('E_GITHUB_NETWORK');
    expect(network.cause).toBeDefined();
  });

  it('waits out a secondary rate limit (retry-after) and a primary one, logging each', async () => {
    const log = collectLog();
    fake.injectFaults(
      (request) => request.method === 'POST' && request.url.includes('/git/blobs'),
      [githubFaults.secondaryRateLimit(1)],
    );
    fake.injectFaults(
      (request) => request.url.includes('/git/ref/'),
      [githubFaults.primaryRateLimit()],
    );
    const saving = store({ log });
    expect(await saving.read()).toBeUndefined();
    await saving.write(packManifest(makeManifest(3)));
    expect(storedText()).toBe(serializeManifest(makeManifest(3)));
    expect(log.warnings.join('\n')).toMatch(
      /secondary rate limit on POST .*git\/blobs; retrying in 1s/,
    );
    expect(log.warnings.join('\n')).toMatch(/primary rate limit on GET .*git\/ref/);
  });

  it('gives up on a rate limit past the retries with exit 1', async () => {
    fake.injectFaults(
      () => true,
      Array.from({ length: 5 }, () => githubFaults.secondaryRateLimit(0)),
    );
    const error = await failure(store().read());
    expect(error.exitCode).toBe(1);
    expect(error.code).toBe('E_GITHUB_RATE_LIMIT');
  });
});

describe('openBaselineStore', () => {
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    GITHUB_TOKEN: FAKE_GITHUB_TOKEN,
    GITHUB_REPOSITORY: 'acme/site',
    GITHUB_API_URL: fake.url,
    GITHUB_SHA: 'feedfacefeedfacefeedfacefeedfacefeedface',
    ...extra,
  });
  const config = { baseline: 'github:', saveBaseline: 'github:', environment: 'production' };
  const open = (overrides: Partial<typeof config>, environment: NodeJS.ProcessEnv) =>
    openBaselineStore(
      { ...config, ...overrides },
      {
        env: environment,
        log: collectLog(),
        minRetryMs: 1,
        writeSpacingMs: 0,
      },
    );

  it('opens one state-branch store for github: on both keys, from the runner variables', async () => {
    const baseline = await open({}, env());
    expect(baseline.location).toBe('github:edgepurge-state (production)');
    expect(await baseline.read()).toBeUndefined();
    await baseline.write(packManifest(makeManifest(2)));
    // The same store saw its own read: a second save on top is a fast-forward.
    await baseline.write(packManifest(makeManifest(3)));
    const tip = fake.refs.get(`refs/heads/${BRANCH}`) as string;
    expect(fake.git.get(tip, 'commit')?.message).toContain('feedfacefeedface');
    expect(fake.git.get(tip, 'commit')?.parents).toHaveLength(1);
  });

  it('names the branch of github:BRANCH', async () => {
    const baseline = await open(
      { baseline: 'github:deploy/state', saveBaseline: 'github:deploy/state' },
      env(),
    );
    await baseline.write(packManifest(makeManifest(1)));
    const saved = fake.bytesOnBranch('deploy/state', PATH);
    expect(saved && gunzipSync(saved).toString()).toBe(serializeManifest(makeManifest(1)));
  });

  it('needs GITHUB_TOKEN and GITHUB_REPOSITORY (exit 2, naming each)', async () => {
    const noToken = await failure(open({}, env({ GITHUB_TOKEN: '' })));
    expect(noToken.exitCode).toBe(2);
    expect(noToken.at).toBe('GITHUB_TOKEN');
    expect(noToken.hint).toContain('GITHUB_REPOSITORY=owner/repo');
    const noRepository = await failure(open({}, env({ GITHUB_REPOSITORY: '' })));
    expect(noRepository.at).toBe('GITHUB_REPOSITORY');
    const malformed = await failure(open({}, env({ GITHUB_REPOSITORY: 'just-a-name' })));
    expect(malformed.message).toContain('owner/repo');
  });

  it('opens plain files without reading any GitHub variable', async () => {
    const files = await open({ baseline: '/tmp/a.json', saveBaseline: '/tmp/b.json' }, {});
    expect(files.location).toBe('/tmp/b.json');
    expect(fake.server.requests).toEqual([]);
  });
});
