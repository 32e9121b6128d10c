import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load-config.ts';
import type { CloudflareConfig } from '../../src/config/schema.ts';
import {
  checkCloudflarePrefix,
  cloudflareCapabilities,
  createCloudflareProvider,
} from '../../src/providers/cloudflare.ts';
import type { PurgeBatch } from '../../src/providers/provider.ts';
import { PurgeError } from '../../src/providers/purge-error.ts';
import {
  type FakeCloudflare,
  type PurgeBody,
  startFakeCloudflare,
} from '../support/fake-cloudflare.ts';
import type { FakeAnswer } from '../support/fake-http.ts';

const TOKEN = 'cf-test-token-7f3a9c2e41d8b6055e1f';
const ZONE = '0123456789abcdef0123456789abcdef';
const OTHER_ZONE = 'fedcba9876543210fedcba9876543210';
const signal = new AbortController().signal;

const fakes: FakeCloudflare[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.server.close()));
});

async function fakeCloudflare(
  extra: Partial<Parameters<typeof startFakeCloudflare>[0]> = {},
): Promise<FakeCloudflare> {
  const fake = await startFakeCloudflare({ token: TOKEN, zoneId: ZONE, ...extra });
  fakes.push(fake);
  return fake;
}

function cloudflare(extra: Record<string, unknown> = {}): CloudflareConfig {
  const config = validateConfig({
    dir: '.',
    baseUrl: 'https://www.example.com',
    providers: [{ type: 'cloudflare', zoneId: ZONE, ...extra }],
  });
  return config.providers[0] as CloudflareConfig;
}

function provider(fake: FakeCloudflare, extra: Record<string, unknown> = {}, token = TOKEN) {
  return createCloudflareProvider(cloudflare(extra), {
    token,
    baseURL: fake.url,
    timeoutMs: 2_000,
  });
}

const urls = (count: number, prefix = 'https://www.example.com/p') =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}.html`);

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

function bodies(fake: FakeCloudflare): PurgeBody[] {
  return fake.server.requests.map((request) => JSON.parse(request.body) as PurgeBody);
}

/** The v4 failure envelope, for faults. */
function apiFailure(
  status: number,
  errors: { code: number; message: string }[],
  headers?: Record<string, string>,
): FakeAnswer {
  return { status, headers, body: { success: false, errors, messages: [], result: null } };
}

/** fake-http's late answer. */
function slow(delayMs: number, answer: FakeAnswer): FakeAnswer {
  return { delayMs, answer };
}

async function failure(promise: Promise<unknown>): Promise<PurgeError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PurgeError);
  return error as PurgeError;
}

const twoUrls: PurgeBatch = {
  kind: 'urls',
  urls: ['https://www.example.com/about/', 'https://www.example.com/a.js?v=1'],
};

describe('Cloudflare provider: request bodies through the SDK', () => {
  it('purges URLs with POST /zones/<zone>/purge_cache, the Bearer token and files: [url, …]', async () => {
    const fake = await fakeCloudflare();
    // A global API key in the environment must not ride along with the token.
    const saved = { key: process.env.CLOUDFLARE_API_KEY, email: process.env.CLOUDFLARE_EMAIL };
    process.env.CLOUDFLARE_API_KEY = 'legacy-global-key-1234';
    process.env.CLOUDFLARE_EMAIL = 'ops@example.com';
    let outcome: Awaited<ReturnType<ReturnType<typeof provider>['purge']>>;
    try {
      outcome = await provider(fake).purge(twoUrls, signal);
    } finally {
      restoreEnv('CLOUDFLARE_API_KEY', saved.key);
      restoreEnv('CLOUDFLARE_EMAIL', saved.email);
    }

    expect(outcome).toEqual({ requests: 1 });
    expect(fake.server.requests).toHaveLength(1);
    const [request] = fake.server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(`/client/v4/zones/${ZONE}/purge_cache`);
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    // Only the token authenticates, whatever else the environment holds.
    expect(request?.headers['x-auth-key']).toBeUndefined();
    expect(request?.headers['x-auth-email']).toBeUndefined();
    expect(JSON.parse(request?.body ?? '')).toEqual({ files: twoUrls.urls });
    expect(fake.purged().files).toEqual(twoUrls.urls);
  });

  it.each([
    [
      { kind: 'prefixes', prefixes: ['www.example.com/blog/', 'www.example.com/docs'] },
      { prefixes: ['www.example.com/blog/', 'www.example.com/docs'] },
    ],
    [{ kind: 'tags', tags: ['product-1', 'home'] }, { tags: ['product-1', 'home'] }],
    [
      { kind: 'hosts', hosts: ['www.example.com', 'img.example.com'] },
      { hosts: ['www.example.com', 'img.example.com'] },
    ],
    [{ kind: 'everything', hosts: ['www.example.com'] }, { purge_everything: true }],
  ] as [PurgeBatch, PurgeBody][])('sends a %o batch as %o', async (batch, body) => {
    const fake = await fakeCloudflare();
    await provider(fake).purge(batch, signal);
    expect(bodies(fake)).toEqual([body]);
    const purged = fake.purged();
    expect(purged.everything).toBe(body.purge_everything ? 1 : 0);
    expect(purged.prefixes).toEqual(body.prefixes ?? []);
    expect(purged.tags).toEqual(body.tags ?? []);
    expect(purged.hosts).toEqual(body.hosts ?? []);
  });

  it('expands each URL into one files entry per cache-key header value', async () => {
    const fake = await fakeCloudflare();
    const p = provider(fake, {
      cacheKeyHeaders: { 'CF-Device-Type': ['mobile', 'desktop', 'tablet'] },
    });
    await p.purge({ kind: 'urls', urls: ['https://www.example.com/'] }, signal);
    expect(bodies(fake)).toEqual([
      {
        files: [
          { url: 'https://www.example.com/', headers: { 'CF-Device-Type': 'mobile' } },
          { url: 'https://www.example.com/', headers: { 'CF-Device-Type': 'desktop' } },
          { url: 'https://www.example.com/', headers: { 'CF-Device-Type': 'tablet' } },
        ],
      },
    ]);
  });

  it('takes the cartesian product of several cache-key headers', async () => {
    const fake = await fakeCloudflare();
    const p = provider(fake, {
      cacheKeyHeaders: { 'CF-Device-Type': ['mobile', 'desktop'], 'CF-IPCountry': ['US', 'ES'] },
    });
    await p.purge({ kind: 'urls', urls: ['https://www.example.com/x'] }, signal);
    expect(bodies(fake)[0]?.files).toEqual([
      {
        url: 'https://www.example.com/x',
        headers: { 'CF-Device-Type': 'mobile', 'CF-IPCountry': 'US' },
      },
      {
        url: 'https://www.example.com/x',
        headers: { 'CF-Device-Type': 'mobile', 'CF-IPCountry': 'ES' },
      },
      {
        url: 'https://www.example.com/x',
        headers: { 'CF-Device-Type': 'desktop', 'CF-IPCountry': 'US' },
      },
      {
        url: 'https://www.example.com/x',
        headers: { 'CF-Device-Type': 'desktop', 'CF-IPCountry': 'ES' },
      },
    ]);
  });

  it('divides the URL batch by the header combinations so a full batch fits one request', async () => {
    const fake = await fakeCloudflare({ maxFilesPerRequest: 30 });
    const config = { cacheKeyHeaders: { 'CF-Device-Type': ['mobile', 'desktop', 'tablet'] } };
    const p = provider(fake, config);
    expect(p.capabilities.maxUrlsPerRequest).toBe(10);

    const outcome = await p.purge({ kind: 'urls', urls: urls(10) }, signal);
    expect(outcome.requests).toBe(1);
    expect(bodies(fake)[0]?.files).toHaveLength(30);
    expect(fake.purged().files).toHaveLength(30);
  });

  it('never puts more files entries in one request than the limit, even for an oversized batch', async () => {
    const fake = await fakeCloudflare({ maxFilesPerRequest: 30 });
    const p = provider(fake, { cacheKeyHeaders: { 'CF-Device-Type': ['mobile', 'desktop'] } });
    const outcome = await p.purge({ kind: 'urls', urls: urls(16) }, signal);
    expect(outcome.requests).toBe(2);
    expect(bodies(fake).map((body) => body.files?.length)).toEqual([30, 2]);
    expect(fake.purged().files).toHaveLength(32);
  });

  it('honours CLOUDFLARE_BASE_URL when no baseURL is passed', async () => {
    const fake = await fakeCloudflare();
    const saved = process.env.CLOUDFLARE_BASE_URL;
    process.env.CLOUDFLARE_BASE_URL = fake.url;
    try {
      const p = createCloudflareProvider(cloudflare(), { token: TOKEN, timeoutMs: 2_000 });
      await p.purge(twoUrls, signal);
    } finally {
      restoreEnv('CLOUDFLARE_BASE_URL', saved);
    }
    expect(fake.server.requests).toHaveLength(1);
    expect(fake.purged().files).toEqual(twoUrls.urls);
  });

  it('runs onPurge for accepted requests only', async () => {
    const seen: PurgeBody[] = [];
    const fake = await fakeCloudflare({ onPurge: (body) => void seen.push(body) });
    await provider(fake).purge({ kind: 'tags', tags: ['a'] }, signal);
    await failure(
      provider(fake, {}, 'wrong-token-123456').purge({ kind: 'tags', tags: ['b'] }, signal),
    );
    expect(seen).toEqual([{ tags: ['a'] }]);
  });
});

describe('Cloudflare provider: capabilities per plan', () => {
  it.each([
    ['free', 30, 5 / 60, 25],
    ['pro', 30, 5, 25],
    ['business', 30, 10, 50],
    ['enterprise', 500, 50, 500],
  ] as const)(
    '%s: %d URLs per request, %d requests/s, bucket %d',
    (plan, perRequest, perSecond, burst) => {
      const capabilities = cloudflareCapabilities(cloudflare({ plan }));
      expect(capabilities).toEqual({
        maxUrlsPerRequest: perRequest,
        maxPrefixesPerRequest: 100,
        maxTagsPerRequest: 100,
        maxHostsPerRequest: 100,
        everything: true,
        concurrency: 4,
        rate: { perSecond, burst },
      });
    },
  );

  it.each([
    [{ maxUrlsPerRequest: 20 }, 20],
    [{ cacheKeyHeaders: { 'CF-Device-Type': ['mobile', 'desktop', 'tablet'] } }, 10],
    [
      {
        cacheKeyHeaders: { 'CF-Device-Type': ['mobile', 'desktop'], 'CF-IPCountry': ['US', 'ES'] },
      },
      7,
    ],
    [{ plan: 'enterprise', cacheKeyHeaders: { 'Accept-Language': ['en', 'fr', 'de'] } }, 166],
    [{ maxUrlsPerRequest: 2, cacheKeyHeaders: { 'CF-Device-Type': ['a', 'b', 'c'] } }, 1],
  ])('%o gives %d URLs per request', (extra, expected) => {
    expect(cloudflareCapabilities(cloudflare(extra)).maxUrlsPerRequest).toBe(expected);
  });
});

describe('Cloudflare provider: failures become PurgeErrors', () => {
  it('a wrong token (401, code 10000) is an auth failure with the permission hint', async () => {
    const fake = await fakeCloudflare();
    const error = await failure(provider(fake, {}, 'not-the-token-0000').purge(twoUrls, signal));
    expect(error).toMatchObject({ kind: 'auth', code: 'E_CF_AUTH', status: 401 });
    expect(error.message).toContain('cloudflare');
    expect(error.message).toContain(ZONE);
    expect(error.message).toContain('2 URLs');
    expect(error.message).toContain('401');
    expect(error.message).toContain('Authentication error (code 10000)');
    expect(error.hint).toContain('Zone › Cache Purge');
    expect(fake.purged().files).toEqual([]);
  });

  it('a 403 is an auth failure', async () => {
    const fake = await fakeCloudflare();
    fake.server.faults = () => apiFailure(403, [{ code: 10000, message: 'Authentication error' }]);
    const error = await failure(provider(fake).purge(twoUrls, signal));
    expect(error).toMatchObject({ kind: 'auth', code: 'E_CF_AUTH', status: 403 });
  });

  it('a zone the API cannot route to (7003) is not-found with the zone-ID hint', async () => {
    const fake = await fakeCloudflare();
    const p = createCloudflareProvider(
      { ...cloudflare(), zoneId: OTHER_ZONE },
      { token: TOKEN, baseURL: fake.url },
    );
    const error = await failure(p.purge(twoUrls, signal));
    expect(error).toMatchObject({ kind: 'not-found', code: 'E_CF_ZONE', status: 400 });
    expect(error.message).toContain(OTHER_ZONE);
    expect(error.message).toContain('perhaps your object identifier is invalid?');
    expect(error.hint).toContain('32-hex zone ID');
  });

  it('31 files over a limit of 30 is too-large, so the executor splits the batch', async () => {
    const fake = await fakeCloudflare({ maxFilesPerRequest: 30 });
    const error = await failure(
      provider(fake, { maxUrlsPerRequest: 31 }).purge({ kind: 'urls', urls: urls(31) }, signal),
    );
    expect(error).toMatchObject({ kind: 'too-large', code: 'E_CF_TOO_LARGE', status: 400 });
    expect(error.message).toContain('31 URLs');
    expect(fake.server.requests).toHaveLength(1);
    expect(fake.purged().files).toEqual([]);
  });

  it('another 400 is invalid and carries Cloudflare’s own messages verbatim', async () => {
    const fake = await fakeCloudflare();
    const said =
      'Request must contain one of "purge_everything", "files", "tags", "hosts" or "prefixes"';
    fake.server.faults = () => apiFailure(400, [{ code: 1012, message: said }]);
    const error = await failure(provider(fake).purge(twoUrls, signal));
    expect(error).toMatchObject({ kind: 'invalid', code: 'E_CF_REQUEST', status: 400 });
    expect(error.message).toContain(`${said} (code 1012)`);
  });

  it('a 429 is a rate-limit with Retry-After in ms, and the SDK does not retry it itself', async () => {
    const fake = await fakeCloudflare();
    fake.server.faults = () =>
      apiFailure(429, [{ code: 971, message: 'Please wait and consider throttling' }], {
        'retry-after': '7',
      });
    const error = await failure(provider(fake).purge(twoUrls, signal));
    expect(error).toMatchObject({
      kind: 'rate-limit',
      code: 'E_RATE_LIMIT',
      status: 429,
      retryAfterMs: 7000,
    });
    expect(fake.server.requests).toHaveLength(1);
  });

  it('a 500 is a server failure, sent once', async () => {
    const fake = await fakeCloudflare();
    fake.server.faults = () => ({ status: 500, body: 'upstream exploded' });
    const error = await failure(provider(fake).purge(twoUrls, signal));
    expect(error).toMatchObject({ kind: 'server', code: 'E_CF_SERVER', status: 500 });
    expect(fake.server.requests).toHaveLength(1);
  });

  it('a dropped connection is a network failure', async () => {
    const fake = await fakeCloudflare();
    fake.server.faults = () => ({ drop: true });
    const error = await failure(provider(fake).purge(twoUrls, signal));
    expect(error).toMatchObject({ kind: 'network', code: 'E_CF_NETWORK' });
    expect(error.status).toBeUndefined();
  });

  it('an answer slower than timeoutMs is a timeout', async () => {
    const fake = await fakeCloudflare();
    fake.server.faults = () =>
      slow(1_500, {
        status: 200,
        body: { success: true, errors: [], messages: [], result: { id: 'x' } },
      });
    const p = createCloudflareProvider(cloudflare(), {
      token: TOKEN,
      baseURL: fake.url,
      timeoutMs: 150,
    });
    const started = Date.now();
    const error = await failure(p.purge(twoUrls, signal));
    expect(error).toMatchObject({ kind: 'timeout', code: 'E_CF_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('a 200 whose envelope says success: false is a failure', async () => {
    const fake = await fakeCloudflare();
    fake.server.faults = () => ({
      status: 200,
      body: {
        success: false,
        errors: [{ code: 1099, message: 'purge queue unavailable' }],
        messages: [],
        result: null,
      },
    });
    const error = await failure(provider(fake).purge(twoUrls, signal));
    expect(error).toMatchObject({ kind: 'refused', code: 'E_CF_REFUSED', status: 200 });
    expect(error.message).toContain('purge queue unavailable (code 1099)');
  });

  it('a 200 that is not the API’s JSON envelope is a failure', async () => {
    const fake = await fakeCloudflare();
    fake.server.faults = () => ({ status: 200, body: '<html>captive portal</html>' });
    const error = await failure(provider(fake).purge(twoUrls, signal));
    expect(error).toMatchObject({ kind: 'server', code: 'E_CF_RESPONSE', status: 200 });
  });

  it('refuses a prefix Cloudflare would refuse, before sending anything', async () => {
    const fake = await fakeCloudflare();
    const error = await failure(
      provider(fake).purge(
        { kind: 'prefixes', prefixes: ['www.example.com/ok/', 'https://www.example.com/x'] },
        signal,
      ),
    );
    expect(error).toMatchObject({ kind: 'invalid', code: 'E_CF_PREFIX' });
    expect(error.message).toContain('https://www.example.com/x');
    expect(fake.server.requests).toHaveLength(0);
  });

  it('an aborted signal rejects with its reason, not a PurgeError', async () => {
    const fake = await fakeCloudflare();
    fake.server.faults = () => slow(1_000, { status: 500 });
    const controller = new AbortController();
    const reason = new Error('deploy cancelled');
    const pending = provider(fake).purge(twoUrls, controller.signal);
    setTimeout(() => controller.abort(reason), 50);
    await expect(pending).rejects.toBe(reason);
  });
});

describe('Cloudflare provider: the token stays secret', () => {
  it('appears in no message, hint, String(), JSON or describe() line', async () => {
    const fake = await fakeCloudflare({ maxFilesPerRequest: 30 });
    const errors: PurgeError[] = [];
    const scenarios: (FakeAnswer | undefined)[] = [
      undefined, // a wrong zone, see below
      apiFailure(403, [{ code: 10000, message: 'Authentication error' }]),
      apiFailure(429, [{ code: 971, message: 'throttled' }], { 'retry-after': '1' }),
      { status: 503, body: 'down' },
      { drop: true },
      // A server that echoes the credential back must not get it into a message.
      apiFailure(400, [
        { code: 6111, message: `Invalid format for Authorization header: Bearer ${TOKEN}` },
      ]),
      {
        status: 200,
        body: { success: false, errors: [{ code: 1, message: TOKEN }], messages: [], result: null },
      },
    ];
    for (const answer of scenarios) {
      fake.server.faults = () => answer;
      const p =
        answer === undefined
          ? createCloudflareProvider(
              { ...cloudflare(), zoneId: OTHER_ZONE },
              { token: TOKEN, baseURL: fake.url },
            )
          : provider(fake);
      errors.push(await failure(p.purge(twoUrls, signal)));
    }
    fake.server.faults = () => undefined;
    errors.push(await failure(provider(fake, {}, `${TOKEN}-wrong`).purge(twoUrls, signal)));
    errors.push(
      await failure(
        provider(fake, { maxUrlsPerRequest: 31 }).purge({ kind: 'urls', urls: urls(31) }, signal),
      ),
    );

    expect(errors.map((error) => error.kind)).toEqual([
      'not-found',
      'auth',
      'rate-limit',
      'server',
      'network',
      'auth',
      'refused',
      'auth',
      'too-large',
    ]);
    // The echoing server's messages did arrive, with the credential cut out.
    expect(errors[5]?.message).toContain(
      'Invalid format for Authorization header: Bearer [redacted]',
    );
    for (const error of errors) {
      for (const text of [error.message, error.hint ?? '', String(error), JSON.stringify(error)]) {
        expect(text).not.toContain(TOKEN);
      }
    }
    const lines = provider(fake).describe?.(twoUrls) ?? [];
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).not.toContain(TOKEN);
  });
});

describe('Cloudflare provider: describe()', () => {
  it('prints one line per request it would send, with the first and last target', () => {
    const p = createCloudflareProvider(cloudflare(), {
      token: TOKEN,
      baseURL: 'http://127.0.0.1:9',
    });
    const batch: PurgeBatch = { kind: 'urls', urls: urls(31, 'https://www.example.com/u') };
    expect(p.describe?.(batch)).toEqual([
      `POST /zones/${ZONE}/purge_cache files=30 [https://www.example.com/u0.html … https://www.example.com/u29.html]`,
      `POST /zones/${ZONE}/purge_cache files=1 [https://www.example.com/u30.html]`,
    ]);
    expect(p.describe?.({ kind: 'everything', hosts: ['www.example.com'] })).toEqual([
      `POST /zones/${ZONE}/purge_cache purge_everything=true`,
    ]);
    expect(p.describe?.({ kind: 'tags', tags: ['a', 'b', 'c'] })).toEqual([
      `POST /zones/${ZONE}/purge_cache tags=3 [a … c]`,
    ]);
  });
});

describe('checkCloudflarePrefix', () => {
  const deep = `www.example.com${'/d'.repeat(31)}`;
  it.each([
    ['www.example.com', undefined],
    ['www.example.com/', undefined],
    ['www.example.com/foo/bar/baz/qux.jpg', undefined],
    [deep, undefined],
    [`${deep}/e`, 'has 32 path separators; Cloudflare allows at most 31'],
    [
      'https://www.example.com/foo',
      'starts with a scheme; write host/path, e.g. www.example.com/blog/',
    ],
    ['www.example.com/foo?a=b', 'has a query string; prefix purges cannot match queries'],
    ['www.example.com/foo#bar', 'has a fragment; prefix purges cannot match fragments'],
    ['/foo/bar', 'has no hostname; write host/path, e.g. www.example.com/blog/'],
    ['', 'is empty'],
    ['www.example.com/a b', 'contains whitespace'],
  ])('%s → %s', (prefix, problem) => {
    expect(checkCloudflarePrefix(prefix)).toBe(problem);
  });
});
