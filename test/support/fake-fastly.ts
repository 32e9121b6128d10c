import type { FakeAnswer, FakeRequest, FakeServer } from './fake-http.ts';
import { startFakeServer } from './fake-http.ts';

export interface FakeFastlyOptions {
  /** The only Fastly-Key accepted. */
  readonly token: string;
  /** The only service that exists. */
  readonly serviceId: string;
  /**
   * When set, every authenticated answer carries Fastly-RateLimit-Remaining / -Reset; only
   * purge_all spends the budget, and purge_all with none left answers 429.
   */
  readonly rateLimit?: { remaining: number; resetEpochSeconds: number };
  /**
   * Runs for each accepted purge before the API answers (e.g. forward it to a real cache);
   * a throw answers 500 and the purge is not recorded.
   */
  readonly onPurge?: (purge: FakeFastlyPurge) => void | Promise<void>;
}

/** One accepted purge, as `onPurge` sees it. */
export type FakeFastlyPurge =
  | { readonly op: 'url'; readonly cachedUrl: string }
  | { readonly op: 'keys'; readonly keys: readonly string[] }
  | { readonly op: 'all' };

export interface FakeFastlyPurged {
  /** `host/path?query` of each accepted URL purge, as sent. */
  readonly urls: string[];
  /** Each surrogate key of each accepted key purge. */
  readonly keys: string[];
  /** Accepted purge_all requests. */
  readonly all: number;
  /** Accepted URL and key purges that carried Fastly-Soft-Purge: 1. */
  readonly soft: number;
  /** The URLs (`host/path`) and keys of those soft purges, in order: what was marked stale. */
  readonly softTargets: string[];
}

export interface FakeFastly {
  readonly url: string;
  /** Requests as received (faults included); inject 429/5xx/drops through `server.faults`. */
  readonly server: FakeServer;
  purged(): FakeFastlyPurged;
}

// "You can make up to 1,000 non-read requests per hour … Surrogate key and URL purge requests
// are also not limited, but purge all requests count against the per-hour rate limit"
// (https://docs.fastly.com/api/).
const RATE_LIMITED_OPS = new Set(['all']);

/**
 * A loopback Fastly purge API, answering as Fastly does:
 * - `Fastly-Key` other than the token: 401 `{"msg":"Provided credentials are missing or
 *   invalid"}` (https://github.com/fastly/fastly-js/issues/14);
 * - `POST /purge/{host}/{path}`: `{"status":"ok","id":…}` (https://github.com/fastly/fastly-ruby/issues/148);
 * - `POST /service/{id}/purge` with `Surrogate-Key: a b` (or a `{"surrogate_keys":[…]}` body):
 *   a map of key → id; more than 256 keys: 400 `{"status":"fail","reason":"Batch surrogate key
 *   request only supports up to 256 surrogate keys"}` (https://github.com/fastly/fastly-magento2/issues/104);
 * - `POST /service/{id}/purge/{key}`: `{"status":"ok","id":…}`;
 * - `POST /service/{id}/purge_all`: `{"status":"ok"}`; Fastly-Soft-Purge changes nothing there;
 * - an unknown service: 404 `{"msg":"Record not found","details":"Cannot find service"}`
 *   (https://github.com/fastly/fastly-php/issues/53).
 */
export async function startFakeFastly(options: FakeFastlyOptions): Promise<FakeFastly> {
  const purged = {
    urls: [] as string[],
    keys: [] as string[],
    all: 0,
    soft: 0,
    softTargets: [] as string[],
  };
  const budget = options.rateLimit === undefined ? undefined : { ...options.rateLimit };
  let sequence = 0;
  const purgeId = () => `${++sequence}-${Math.floor(Date.now() / 1000)}-${100000 + sequence}`;

  const rateHeaders = (): Record<string, string> =>
    budget === undefined
      ? {}
      : {
          'Fastly-RateLimit-Remaining': String(budget.remaining),
          'Fastly-RateLimit-Reset': String(budget.resetEpochSeconds),
        };
  const answer = (status: number, body: unknown): FakeAnswer => ({
    status,
    headers: rateHeaders(),
    body,
  });

  /** Runs onPurge; a 500 answer when it throws, undefined when the purge may be recorded. */
  const forward = async (purge: FakeFastlyPurge): Promise<FakeAnswer | undefined> => {
    try {
      await options.onPurge?.(purge);
      return undefined;
    } catch (error) {
      return { status: 500, body: { msg: `purge forwarding failed: ${String(error)}` } };
    }
  };

  const handle = async (request: FakeRequest): Promise<FakeAnswer> => {
    if (request.headers['fastly-key'] !== options.token) {
      return { status: 401, body: { msg: 'Provided credentials are missing or invalid' } };
    }
    if (request.method !== 'POST') return answer(405, { msg: 'Method not allowed' });
    // "To make a purge soft, add the following HTTP request header when making the API request:
    // Fastly-Soft-Purge: 1" (https://docs.fastly.com/en/guides/purging-via-api): the value 1,
    // on a single-URL, key or bulk-key purge; anything else is an ordinary (hard) purge.
    const soft = request.headers['fastly-soft-purge'] === '1';
    const route = parseRoute(request.url);
    if (route === undefined) return answer(404, { msg: 'Record not found' });
    if (route.op === 'url') {
      const failed = await forward({ op: 'url', cachedUrl: route.cachedUrl });
      if (failed !== undefined) return failed;
      purged.urls.push(route.cachedUrl);
      if (soft) purged.soft += 1;
      if (soft) purged.softTargets.push(route.cachedUrl);
      return answer(200, { status: 'ok', id: purgeId() });
    }
    if (route.serviceId !== options.serviceId) {
      return answer(404, { msg: 'Record not found', details: 'Cannot find service' });
    }
    if (budget !== undefined && RATE_LIMITED_OPS.has(route.op)) {
      if (budget.remaining <= 0) {
        return answer(429, { msg: 'Too many requests', detail: 'Rate limit exceeded' });
      }
      budget.remaining -= 1;
    }
    switch (route.op) {
      case 'all': {
        const failed = await forward({ op: 'all' });
        if (failed !== undefined) return failed;
        purged.all += 1;
        return answer(200, { status: 'ok' });
      }
      case 'key': {
        const failed = await forward({ op: 'keys', keys: [route.key] });
        if (failed !== undefined) return failed;
        purged.keys.push(route.key);
        if (soft) purged.soft += 1;
        if (soft) purged.softTargets.push(route.key);
        return answer(200, { status: 'ok', id: purgeId() });
      }
      case 'keys': {
        const keys = requestedKeys(request);
        if (keys.length === 0) {
          return answer(400, { msg: 'Bad request', detail: 'No surrogate keys given' });
        }
        if (keys.length > 256) {
          return answer(400, {
            status: 'fail',
            reason: 'Batch surrogate key request only supports up to 256 surrogate keys',
          });
        }
        const failed = await forward({ op: 'keys', keys });
        if (failed !== undefined) return failed;
        purged.keys.push(...keys);
        if (soft) purged.soft += 1;
        if (soft) purged.softTargets.push(...keys);
        return answer(200, Object.fromEntries(keys.map((key) => [key, purgeId()])));
      }
    }
  };

  const server = await startFakeServer(handle);
  return {
    url: server.url,
    server,
    purged: () => ({
      urls: [...purged.urls],
      keys: [...purged.keys],
      all: purged.all,
      soft: purged.soft,
      softTargets: [...purged.softTargets],
    }),
  };
}

type Route =
  | { readonly op: 'url'; readonly cachedUrl: string }
  | { readonly op: 'keys' | 'all'; readonly serviceId: string }
  | { readonly op: 'key'; readonly serviceId: string; readonly key: string };

function parseRoute(raw: string): Route | undefined {
  if (raw.startsWith('/purge/') && raw.length > '/purge/'.length) {
    return { op: 'url', cachedUrl: raw.slice('/purge/'.length) };
  }
  const path = raw.split('?')[0] ?? '';
  const service = /^\/service\/([^/]+)\/(purge_all|purge)(?:\/([^/]+))?$/.exec(path);
  if (service === null) return undefined;
  const serviceId = decodeURIComponent(service[1] ?? '');
  if (service[2] === 'purge_all')
    return service[3] === undefined ? { op: 'all', serviceId } : undefined;
  return service[3] === undefined
    ? { op: 'keys', serviceId }
    : { op: 'key', serviceId, key: decodeURIComponent(service[3]) };
}

/** Keys from the Surrogate-Key header (space-separated), else from a JSON body. */
function requestedKeys(request: FakeRequest): string[] {
  const header = request.headers['surrogate-key'];
  if (typeof header === 'string' && header.trim() !== '') {
    return header.split(' ').filter((key) => key !== '');
  }
  try {
    const body = JSON.parse(request.body) as { surrogate_keys?: unknown };
    return Array.isArray(body.surrogate_keys)
      ? body.surrogate_keys.filter((key): key is string => typeof key === 'string')
      : [];
  } catch {
    return [];
  }
}
