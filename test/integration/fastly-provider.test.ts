import { afterEach, describe, expect, it } from 'vitest';
import type { FastlyConfig } from '../../src/config/schema.ts';
import { createFastlyProvider, type FastlyOptions } from '../../src/providers/fastly.ts';
import type { PurgeBatch } from '../../src/providers/provider.ts';
import { PurgeError } from '../../src/providers/purge-error.ts';
import {
  type FakeFastly,
  type FakeFastlyOptions,
  startFakeFastly,
} from '../support/fake-fastly.ts';
import type { FakeAnswer } from '../support/fake-http.ts';

const TOKEN = 'fst_live_0123456789abcdefTOKEN';
const SERVICE = 'SU1Z0isxPaozGVKXdv0eY';
const signal = new AbortController().signal;

const fakes: FakeFastly[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.server.close()));
});

async function fastly(options: Partial<FakeFastlyOptions> = {}): Promise<FakeFastly> {
  const fake = await startFakeFastly({ token: TOKEN, serviceId: SERVICE, ...options });
  fakes.push(fake);
  return fake;
}

function config(extra: Partial<FastlyConfig> = {}): FastlyConfig {
  return { type: 'fastly', serviceId: SERVICE, soft: false, ...extra };
}

function provider(
  fake: FakeFastly,
  extra: Partial<FastlyConfig> = {},
  options: Partial<FastlyOptions> = {},
) {
  return createFastlyProvider(config(extra), { token: TOKEN, baseUrl: fake.url, ...options });
}

async function failure(promise: Promise<unknown>): Promise<PurgeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PurgeError);
  return error as PurgeError;
}

/** fake-http's late answer. */
function slow(delayMs: number, answer: FakeAnswer): FakeAnswer {
  return { delayMs, answer };
}

const oneUrl: PurgeBatch = { kind: 'urls', urls: ['https://www.example.com/app.js'] };

describe('Fastly provider: requests', () => {
  it('purges each URL with POST /purge/{host}{path}, keeping escapes and the query', async () => {
    const fake = await fastly();
    const outcome = await provider(fake).purge(
      {
        kind: 'urls',
        urls: [
          'https://www.example.com/about/',
          'https://www.example.com/a%20b.js?v=1&x=%2F',
          'https://www.example.com/raw space.css#frag',
          'http://static.example.com:8080/img/é.png',
        ],
      },
      signal,
    );
    expect(outcome).toEqual({ requests: 4 });
    expect(fake.server.requests.map((r) => `${r.method} ${r.url}`).sort()).toEqual([
      'POST /purge/static.example.com:8080/img/%C3%A9.png',
      'POST /purge/www.example.com/a%20b.js?v=1&x=%2F',
      'POST /purge/www.example.com/about/',
      'POST /purge/www.example.com/raw%20space.css',
    ]);
    for (const request of fake.server.requests) {
      expect(request.headers['fastly-key']).toBe(TOKEN);
      expect(request.headers['fastly-soft-purge']).toBeUndefined();
    }
    expect(fake.purged().urls).toHaveLength(4);
  });

  it('keeps at most 8 URL purges of a batch in flight', async () => {
    const fake = await fastly();
    let inFlight = 0;
    let most = 0;
    const counting: typeof fetch = async (input, init) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      try {
        return await fetch(input, init);
      } finally {
        inFlight -= 1;
      }
    };
    fake.server.faults = () => slow(20, { status: 200, body: { status: 'ok', id: 'x' } });
    const urls = Array.from({ length: 30 }, (_, i) => `https://www.example.com/${i}.js`);
    const outcome = await provider(fake, {}, { fetch: counting }).purge(
      { kind: 'urls', urls },
      signal,
    );
    expect(outcome.requests).toBe(30);
    expect(most).toBe(8);
  });

  it('sends keys in a Surrogate-Key header, at most 256 per request, to the service', async () => {
    const fake = await fastly();
    const tags = Array.from({ length: 600 }, (_, i) => `product-${i}`);
    const outcome = await provider(fake).purge(
      { kind: 'tags', tags: [...tags, 'product-1'] },
      signal,
    );
    expect(outcome).toEqual({ requests: 3 });
    expect(fake.server.requests.map((r) => r.url)).toEqual(
      Array(3).fill(`/service/${SERVICE}/purge`),
    );
    expect(
      fake.server.requests.map((r) => String(r.headers['surrogate-key']).split(' ').length),
    ).toEqual([256, 256, 88]);
    expect(fake.purged().keys).toEqual(tags);
  });

  it('refuses a key with a space before sending (it would purge two other keys)', async () => {
    const fake = await fastly();
    const error = await failure(
      provider(fake).purge({ kind: 'tags', tags: ['ok', 'two words'] }, signal),
    );
    expect(error.kind).toBe('invalid');
    expect(error.message).toContain('"two words"');
    expect(fake.server.requests).toHaveLength(0);
  });

  it('purges everything with POST /service/{id}/purge_all', async () => {
    const fake = await fastly();
    const fastlyProvider = provider(fake);
    expect(fastlyProvider.capabilities.everything).toBe(true);
    const outcome = await fastlyProvider.purge(
      { kind: 'everything', hosts: ['www.example.com'] },
      signal,
    );
    expect(outcome).toEqual({ requests: 1 });
    expect(fake.server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `POST /service/${SERVICE}/purge_all`,
    ]);
    expect(fake.purged().all).toBe(1);
  });

  it('declares URL batches of 50, 256 keys, no prefixes or hosts', async () => {
    const fake = await fastly();
    expect(provider(fake).capabilities).toEqual({
      maxUrlsPerRequest: 50,
      maxPrefixesPerRequest: 0,
      maxTagsPerRequest: 256,
      maxHostsPerRequest: 0,
      everything: true,
      concurrency: 2,
      // URL and key purges can be soft; purge_all cannot (purge.mode decides per entry).
      softKinds: ['urls', 'tags'],
    });
    const error = await failure(
      provider(fake).purge({ kind: 'prefixes', prefixes: ['www.example.com/a/'] }, signal),
    );
    expect(error.kind).toBe('invalid');
    expect(fake.server.requests).toHaveLength(0);
  });

  it('honours FASTLY_API_URL when no baseUrl is given', async () => {
    const fake = await fastly();
    const before = process.env.FASTLY_API_URL;
    process.env.FASTLY_API_URL = `${fake.url}/`;
    try {
      await createFastlyProvider(config(), { token: TOKEN }).purge(oneUrl, signal);
    } finally {
      if (before === undefined) delete process.env.FASTLY_API_URL;
      else process.env.FASTLY_API_URL = before;
    }
    expect(fake.purged().urls).toEqual(['www.example.com/app.js']);
  });
});

describe('Fastly provider: soft purges', () => {
  it('adds Fastly-Soft-Purge: 1 to URL and key purges', async () => {
    const fake = await fastly();
    const soft = provider(fake, { soft: true });
    await soft.purge(oneUrl, signal);
    await soft.purge({ kind: 'tags', tags: ['home', 'post-1'] }, signal);
    expect(fake.server.requests.map((r) => r.headers['fastly-soft-purge'])).toEqual(['1', '1']);
    expect(fake.purged()).toMatchObject({ soft: 2, keys: ['home', 'post-1'] });
  });

  it('refuses purge_all on a soft provider, explains why and how, and sends nothing', async () => {
    const fake = await fastly();
    const soft = provider(fake, { soft: true });
    expect(soft.capabilities.everything).toBe(false);
    const error = await failure(
      soft.purge({ kind: 'everything', hosts: ['www.example.com'] }, signal),
    );
    expect(error.kind).toBe('invalid');
    expect(error.code).toBe('E_FASTLY_SOFT_PURGE_ALL');
    expect(error.message).toMatch(/purge_all cannot be soft/);
    expect(error.hint).toContain('"soft": false');
    expect(error.hint).toContain('Surrogate-Key');
    expect(fake.server.requests).toHaveLength(0);
    expect(fake.purged().all).toBe(0);
  });
});

describe('Fastly provider: failures', () => {
  it('401: auth, naming provider, service, target and status, with the purge_select scope hint', async () => {
    const fake = await fastly();
    const wrong = createFastlyProvider(config(), {
      token: 'fst_wrong_token_value',
      baseUrl: fake.url,
    });
    const error = await failure(wrong.purge(oneUrl, signal));
    expect(error).toMatchObject({ kind: 'auth', code: 'E_FASTLY_AUTH', status: 401 });
    expect(error.message).toBe(
      `fastly service ${SERVICE}: URL purge of https://www.example.com/app.js answered 401: Provided credentials are missing or invalid`,
    );
    expect(error.hint).toContain('purge_select');
    expect(fake.purged().urls).toEqual([]);
  });

  it('403 on purge_all: auth, with the purge_all scope hint', async () => {
    const fake = await fastly();
    fake.server.faults = () => ({
      status: 403,
      body: { msg: 'Not authorized', detail: 'Token lacks purge_all' },
    });
    const error = await failure(provider(fake).purge({ kind: 'everything', hosts: [] }, signal));
    expect(error).toMatchObject({ kind: 'auth', code: 'E_FASTLY_AUTH', status: 403 });
    expect(error.message).toContain(
      'purge_all answered 403: Not authorized: Token lacks purge_all',
    );
    expect(error.hint).toContain('purge_all scope');
  });

  it('404 from an unknown service: not-found, E_FASTLY_SERVICE', async () => {
    const fake = await fastly();
    const error = await failure(
      provider(fake, { serviceId: 'no-such-service' }).purge(
        { kind: 'tags', tags: ['home'] },
        signal,
      ),
    );
    expect(error).toMatchObject({ kind: 'not-found', code: 'E_FASTLY_SERVICE', status: 404 });
    expect(error.message).toContain(
      'fastly service no-such-service: key purge of home answered 404',
    );
    expect(error.message).toContain('Record not found: Cannot find service');
    expect(error.hint).toContain('serviceId');
  });

  it("other 4xx: invalid, quoting Fastly's msg and detail verbatim", async () => {
    const fake = await fastly();
    fake.server.faults = () => ({
      status: 400,
      body: { msg: 'Bad request', detail: "Key 'x' is malformed" },
    });
    const error = await failure(provider(fake).purge({ kind: 'tags', tags: ['x'] }, signal));
    expect(error).toMatchObject({ kind: 'invalid', code: 'E_FASTLY_PURGE', status: 400 });
    expect(error.message).toContain("answered 400: Bad request: Key 'x' is malformed");
  });

  it('the fake refuses 257 keys as Fastly does; the provider reads that answer as too-large', async () => {
    const fake = await fastly();
    const keys = Array.from({ length: 257 }, (_, i) => `k${i}`).join(' ');
    const response = await fetch(`${fake.url}/service/${SERVICE}/purge`, {
      method: 'POST',
      headers: { 'Fastly-Key': TOKEN, 'Surrogate-Key': keys },
    });
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body).toEqual({
      status: 'fail',
      reason: 'Batch surrogate key request only supports up to 256 surrogate keys',
    });
    fake.server.faults = () => ({ status: 400, body });
    const error = await failure(provider(fake).purge({ kind: 'tags', tags: ['a', 'b'] }, signal));
    expect(error).toMatchObject({ kind: 'too-large', code: 'E_FASTLY_TOO_MANY_KEYS' });
  });

  it('a redirect is not followed, so the token never travels to another host', async () => {
    const fake = await fastly();
    const elsewhere = await fastly();
    fake.server.faults = () => ({
      status: 302,
      headers: { Location: `${elsewhere.url}/purge/www.example.com/app.js` },
    });
    const error = await failure(provider(fake).purge(oneUrl, signal));
    expect(error).toMatchObject({ kind: 'invalid', status: 302 });
    expect(error.hint).toContain('redirect');
    expect(elsewhere.server.requests).toHaveLength(0);
  });

  it('429: rate-limit, retryAfterMs from Retry-After', async () => {
    const fake = await fastly();
    fake.server.faults = () => ({
      status: 429,
      headers: { 'Retry-After': '7' },
      body: { msg: 'Too many requests' },
    });
    const error = await failure(provider(fake).purge(oneUrl, signal));
    expect(error).toMatchObject({
      kind: 'rate-limit',
      code: 'E_FASTLY_RATE_LIMIT',
      status: 429,
      retryAfterMs: 7000,
    });
  });

  it('500: server; a dropped connection: network', async () => {
    const fake = await fastly();
    fake.server.faults = () => ({ status: 500, body: { msg: 'Internal Server Error' } });
    expect(await failure(provider(fake).purge(oneUrl, signal))).toMatchObject({
      kind: 'server',
      status: 500,
    });
    fake.server.faults = () => ({ drop: true });
    const dropped = await failure(provider(fake).purge(oneUrl, signal));
    expect(dropped).toMatchObject({ kind: 'network', code: 'E_FASTLY_UNREACHABLE' });
    expect(dropped.message).toContain('URL purge of https://www.example.com/app.js failed');
  });

  it('an answer slower than timeoutMs: timeout', async () => {
    const fake = await fastly();
    fake.server.faults = () => slow(1000, { status: 200, body: { status: 'ok', id: '1' } });
    const started = Date.now();
    const error = await failure(provider(fake, {}, { timeoutMs: 50 }).purge(oneUrl, signal));
    expect(error).toMatchObject({ kind: 'timeout', code: 'E_FASTLY_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it("the caller's abort rejects with its reason, not a retryable PurgeError", async () => {
    const fake = await fastly();
    fake.server.faults = () => slow(1000, { status: 200, body: { status: 'ok', id: '1' } });
    const controller = new AbortController();
    const reason = new Error('deploy cancelled');
    const pending = provider(fake)
      .purge(oneUrl, controller.signal)
      .catch((e: unknown) => e);
    setTimeout(() => controller.abort(reason), 20);
    expect(await pending).toBe(reason);
  });

  it('a 200 that does not confirm the purge is a failure', async () => {
    const fake = await fastly();
    fake.server.faults = () => ({ status: 200, body: { status: 'error', msg: 'purge rejected' } });
    const refused = await failure(provider(fake).purge(oneUrl, signal));
    expect(refused).toMatchObject({ kind: 'refused', code: 'E_FASTLY_UNCONFIRMED', status: 200 });
    expect(refused.message).toContain('its status is "error": purge rejected');

    fake.server.faults = () => ({ status: 200, body: { status: 'ok' } });
    const noId = await failure(provider(fake).purge(oneUrl, signal));
    expect(noId.message).toContain('it holds no purge id');

    fake.server.faults = () => ({ status: 200, body: { home: '1-2-3' } });
    const missing = await failure(
      provider(fake).purge({ kind: 'tags', tags: ['home', 'post-9'] }, signal),
    );
    expect(missing.message).toContain('no purge id for post-9');

    fake.server.faults = () => ({ status: 200, body: '<html>captive portal</html>' });
    expect(await failure(provider(fake).purge(oneUrl, signal))).toMatchObject({ kind: 'server' });
  });
});

describe('Fastly provider: rate budget', () => {
  it('pauses until Fastly-RateLimit-Reset when purge_all leaves Remaining at 0; URL purges stay unlimited', async () => {
    const reset = 1_900_000_000;
    const fake = await fastly({ rateLimit: { remaining: 1, resetEpochSeconds: reset } });
    const now = () => (reset - 30) * 1000;
    const fastlyProvider = provider(fake, {}, { now });

    expect(await fastlyProvider.purge({ kind: 'everything', hosts: [] }, signal)).toEqual({
      requests: 1,
      pauseMs: 30_000,
    });
    expect(fake.server.requests[0]?.url).toBe(`/service/${SERVICE}/purge_all`);

    // Remaining is 0, but "Surrogate key and URL purge requests are also not limited".
    expect(await fastlyProvider.purge(oneUrl, signal)).toEqual({ requests: 1 });
    expect(await fastlyProvider.purge({ kind: 'tags', tags: ['home'] }, signal)).toEqual({
      requests: 1,
    });

    const limited = await failure(fastlyProvider.purge({ kind: 'everything', hosts: [] }, signal));
    expect(limited).toMatchObject({ kind: 'rate-limit', status: 429, retryAfterMs: 30_000 });
    expect(fake.purged().all).toBe(1);
  });
});

describe('Fastly provider: the token stays secret', () => {
  it('is in no message, hint, String(), JSON or describe() output', async () => {
    const fake = await fastly();
    const errors: PurgeError[] = [];
    const wrong = createFastlyProvider(config(), { token: `${TOKEN}-wrong`, baseUrl: fake.url });
    errors.push(await failure(wrong.purge(oneUrl, signal)));
    errors.push(await failure(wrong.purge({ kind: 'everything', hosts: [] }, signal)));
    // An API that echoed the key back must not leak it either.
    fake.server.faults = (request) => ({
      status: 400,
      body: { msg: 'Bad key', detail: `got ${String(request.headers['fastly-key'])}` },
    });
    errors.push(await failure(provider(fake).purge({ kind: 'tags', tags: ['a'] }, signal)));
    fake.server.faults = () => ({
      status: 200,
      body: { status: 'error', msg: `token ${TOKEN} rejected` },
    });
    errors.push(await failure(provider(fake).purge(oneUrl, signal)));
    fake.server.faults = () => ({ drop: true });
    errors.push(await failure(provider(fake).purge(oneUrl, signal)));
    errors.push(
      await failure(
        provider(fake, { soft: true }).purge({ kind: 'everything', hosts: [] }, signal),
      ),
    );

    expect(errors.map((e) => e.code)).toEqual([
      'E_FASTLY_AUTH',
      'E_FASTLY_AUTH',
      'E_FASTLY_PURGE',
      'E_FASTLY_UNCONFIRMED',
      'E_FASTLY_UNREACHABLE',
      'E_FASTLY_SOFT_PURGE_ALL',
    ]);
    expect(errors[2]?.message).toContain('got [redacted]');
    for (const error of errors) {
      for (const text of [
        error.message,
        error.hint ?? '',
        error.at ?? '',
        String(error),
        JSON.stringify(error),
      ]) {
        expect(text).not.toContain(TOKEN);
      }
    }

    const soft = provider(fake, { soft: true });
    const lines = [
      ...(provider(fake).describe?.({
        kind: 'urls',
        urls: ['https://www.example.com/a%20b.js?v=1'],
      }) ?? []),
      ...(provider(fake).describe?.({ kind: 'tags', tags: ['home', 'post-1'] }) ?? []),
      ...(provider(fake).describe?.({ kind: 'everything', hosts: [] }) ?? []),
      ...(soft.describe?.({ kind: 'tags', tags: ['home'] }) ?? []),
    ];
    expect(lines).toEqual([
      `POST ${fake.url}/purge/www.example.com/a%20b.js?v=1`,
      `POST ${fake.url}/service/${SERVICE}/purge Surrogate-Key: home post-1`,
      `POST ${fake.url}/service/${SERVICE}/purge_all`,
      `POST ${fake.url}/service/${SERVICE}/purge Surrogate-Key: home Fastly-Soft-Purge: 1`,
    ]);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });
});
