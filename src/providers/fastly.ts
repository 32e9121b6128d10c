import pLimit from 'p-limit';
import type { FastlyConfig } from '../config/schema.ts';
import type { Provider, ProviderCapabilities, PurgeBatch, PurgeOutcome } from './provider.ts';
import { PurgeError, parseRetryAfter } from './purge-error.ts';

export interface FastlyOptions {
  /** The API token (FASTLY_API_TOKEN). Sent as `Fastly-Key`; never in a message. */
  readonly token: string;
  /** Default: `process.env.FASTLY_API_URL ?? 'https://api.fastly.com'`. */
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
  /** Per API request. */
  readonly timeoutMs?: number;
  /** Epoch milliseconds; injectable so rate-limit resets are testable. */
  readonly now?: () => number;
}

const DEFAULT_BASE_URL = 'https://api.fastly.com';
// A purge answers in well under a second; 15 s rides out a slow API without hanging a deploy.
const DEFAULT_TIMEOUT_MS = 15_000;
// Fastly has no multi-URL purge: each URL is its own POST /purge/{cached_url}
// (https://github.com/fastly/fastly-js/blob/main/docs/PurgeApi.md). A batch is the unit the
// executor journals and retries, so 50 keeps a retried batch cheap and progress readable.
const URLS_PER_BATCH = 50;
// URL purges within one batch in flight at once; with 2 batches that is 16 requests.
const URL_REQUESTS_IN_FLIGHT = 8;
// "Up to 256 surrogate keys can be purged in one batch request" (bulkPurgeTag,
// https://github.com/fastly/fastly-js/blob/main/docs/PurgeApi.md); more is refused with 400
// "Batch surrogate key request only supports up to 256 surrogate keys"
// (https://github.com/fastly/fastly-magento2/issues/104).
export const FASTLY_MAX_KEYS = 256;

/**
 * What the Fastly provider can do. No prefix or host purges: Fastly has URL, surrogate-key and
 * purge-all only. No soft purge-all either ("Purge-all requests cannot be done in soft mode",
 * purgeAll in https://github.com/fastly/fastly-js/blob/main/docs/PurgeApi.md), so a soft
 * provider reports `everything: false` and the planner purges by URL or key instead.
 */
export function fastlyCapabilities(config: FastlyConfig): ProviderCapabilities {
  return {
    maxUrlsPerRequest: URLS_PER_BATCH,
    maxPrefixesPerRequest: 0,
    maxTagsPerRequest: FASTLY_MAX_KEYS,
    maxHostsPerRequest: 0,
    everything: !config.soft,
    concurrency: 2,
    // No token bucket: "Surrogate key and URL purge requests are also not limited, but purge
    // all requests count against the per-hour rate limit" of 1,000 (https://docs.fastly.com/api/).
    // A 429 is still honoured (retryAfterMs), and purge_all's Fastly-RateLimit-Remaining: 0
    // pauses the provider (pauseMs).
  };
}

type Operation = 'url' | 'keys' | 'all';

/** One API request, described without the token. */
interface FastlyRequest {
  readonly op: Operation;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** What a message names: the URL, the keys, or purge_all. */
  readonly target: string;
  readonly keys?: readonly string[];
}

/**
 * Purges a Fastly service through the API with plain `fetch`: `POST /purge/{host}{path}` per
 * URL (the host+path form goes to api.fastly.com, so no purge depends on DNS), `POST
 * /service/{id}/purge` with a `Surrogate-Key` header for keys, `POST /service/{id}/purge_all`.
 * A 200 counts only when its body confirms the purge (an id per URL or key).
 */
export function createFastlyProvider(config: FastlyConfig, options: FastlyOptions): Provider {
  const base = (options.baseUrl ?? process.env.FASTLY_API_URL ?? DEFAULT_BASE_URL).replace(
    /\/+$/,
    '',
  );
  const context: SendContext = {
    config,
    token: options.token,
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    now: options.now ?? Date.now,
  };
  const toRequests = (batch: PurgeBatch) => fastlyRequests(batch, base, config);

  return {
    name: config.name ?? 'fastly',
    type: 'fastly',
    capabilities: fastlyCapabilities(config),
    async purge(batch: PurgeBatch, signal: AbortSignal): Promise<PurgeOutcome> {
      const requests = toRequests(batch);
      if (batch.kind === 'urls') return { requests: await sendAll(context, requests, signal) };
      let pauseMs: number | undefined;
      // Key chunks go one after another: a failure stops the rest, and the executor retries
      // the whole batch (purges are idempotent).
      for (const request of requests) {
        const pause = await sendOnce(context, request, signal);
        if (pause !== undefined) pauseMs = Math.max(pauseMs ?? 0, pause);
      }
      return pauseMs === undefined
        ? { requests: requests.length }
        : { requests: requests.length, pauseMs };
    },
    describe(batch: PurgeBatch): readonly string[] {
      return toRequests(batch).map((request) =>
        [
          `POST ${request.url}`,
          ...Object.entries(request.headers).map(([name, value]) => `${name}: ${value}`),
        ].join(' '),
      );
    },
  };
}

interface SendContext {
  readonly config: FastlyConfig;
  readonly token: string;
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
  readonly now: () => number;
}

/** The API requests a batch stands for; refuses what Fastly cannot do before sending anything. */
function fastlyRequests(batch: PurgeBatch, base: string, config: FastlyConfig): FastlyRequest[] {
  const service = `${base}/service/${encodeURIComponent(config.serviceId)}`;
  // "add a Fastly-Soft-Purge request header (such as Fastly-Soft-Purge: 1) to any single URL or
  // key-based purge" (https://www.fastly.com/documentation/guides/full-site-delivery/purging/soft-purges).
  const soft: Record<string, string> = config.soft ? { 'Fastly-Soft-Purge': '1' } : {};
  switch (batch.kind) {
    case 'urls':
      return batch.urls.map((raw) => ({
        op: 'url',
        url: `${base}/purge/${hostAndPath(raw, config)}`,
        headers: soft,
        target: raw,
      }));
    case 'tags': {
      const keys = [...new Set(batch.tags)];
      for (const key of keys) checkKey(key, config);
      const requests: FastlyRequest[] = [];
      for (let start = 0; start < keys.length; start += FASTLY_MAX_KEYS) {
        const chunk = keys.slice(start, start + FASTLY_MAX_KEYS);
        requests.push({
          op: 'keys',
          url: `${service}/purge`,
          // The keys go in a Surrogate-Key header, space-separated, instead of a JSON body
          // (bulkPurgeTag, https://github.com/fastly/fastly-js/blob/main/docs/PurgeApi.md).
          headers: { 'Surrogate-Key': chunk.join(' '), ...soft },
          target: keysTarget(chunk),
          keys: chunk,
        });
      }
      return requests;
    }
    case 'everything':
      if (config.soft) {
        throw new PurgeError(
          'E_FASTLY_SOFT_PURGE_ALL',
          `${label(config)}: purge_all cannot be soft: Fastly has no soft purge-all, it always invalidates everything at once`,
          {
            kind: 'invalid',
            at: `${service}/purge_all`,
            // The workaround is Fastly's own: purgeAll in
            // https://github.com/fastly/fastly-js/blob/main/docs/PurgeApi.md
            hint: 'set "soft": false on this provider to allow a hard purge_all, or tag every response with one Surrogate-Key (e.g. "all") and purge that key, which can be soft',
          },
        );
      }
      return [{ op: 'all', url: `${service}/purge_all`, headers: {}, target: 'purge_all' }];
    case 'prefixes':
    case 'hosts':
      throw new PurgeError(
        'E_FASTLY_UNSUPPORTED',
        `${label(config)}: Fastly has no ${batch.kind === 'prefixes' ? 'prefix' : 'host'} purge`,
        {
          kind: 'invalid',
          hint: 'purge by URL, by surrogate key (tags), or everything (purge_all)',
        },
      );
  }
}

/**
 * `host/path?query` of a URL for `POST /purge/{cached_url}`. WHATWG URL parsing keeps existing
 * percent-escapes and encodes what must be (a space becomes %20), so the path reaches Fastly as
 * the cache saw it. The query travels as the API request's own query string, which is how
 * go-fastly sends it (constructRequestOptionsParam in
 * https://github.com/fastly/go-fastly/blob/main/fastly/purge.go). No fragment: it never
 * reaches a cache.
 */
function hostAndPath(raw: string, config: FastlyConfig): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    throw new PurgeError(
      'E_FASTLY_URL',
      `${label(config)}: cannot purge "${raw}": not an absolute URL`,
      {
        kind: 'invalid',
        cause: error,
      },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PurgeError(
      'E_FASTLY_URL',
      `${label(config)}: cannot purge "${raw}": not an http(s) URL`,
      {
        kind: 'invalid',
      },
    );
  }
  return `${url.host}${url.pathname}${url.search}`;
}

/**
 * Surrogate-Key is a space-separated list (https://www.fastly.com/documentation/reference/http/http-headers/Surrogate-Key/):
 * a key with whitespace would silently purge two other keys, so it is refused before sending.
 */
function checkKey(key: string, config: FastlyConfig): void {
  // Keys are printable ASCII 0x21–0x7E (https://docs.rs/crate/fastly/latest/source/docs/snippets/cache-insert-surrogate-keys.md).
  if (key === '' || !/^[\x21-\x7e]+$/.test(key)) {
    throw new PurgeError(
      'E_FASTLY_KEY',
      `${label(config)}: surrogate key ${JSON.stringify(key)} is empty or holds spaces or non-ASCII characters`,
      { kind: 'invalid', hint: 'surrogate keys are printable ASCII without spaces' },
    );
  }
}

/** Sends a batch's URL purges, a few at a time; stops starting new ones after a failure. */
async function sendAll(
  context: SendContext,
  requests: readonly FastlyRequest[],
  signal: AbortSignal,
): Promise<number> {
  const limit = pLimit(URL_REQUESTS_IN_FLIGHT);
  let failure: { error: unknown } | undefined;
  let sent = 0;
  await Promise.all(
    requests.map((request) =>
      limit(async () => {
        if (failure !== undefined || signal.aborted) return;
        sent += 1;
        try {
          // URL purges do not spend the hourly budget (https://docs.fastly.com/api/), so their
          // rate-limit headers never pause the provider.
          await sendOnce(context, request, signal);
        } catch (error) {
          failure ??= { error };
        }
      }),
    ),
  );
  if (failure !== undefined) throw failure.error;
  return sent;
}

/**
 * One API request, once (the executor owns retries). Returns the pause the answer asks for:
 * milliseconds until Fastly-RateLimit-Reset when a request that spends the budget (purge_all)
 * left Fastly-RateLimit-Remaining at 0.
 */
async function sendOnce(
  context: SendContext,
  request: FastlyRequest,
  signal: AbortSignal,
): Promise<number | undefined> {
  const { config } = context;
  const timeout = AbortSignal.timeout(context.timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await context.fetch(request.url, {
      method: 'POST',
      headers: { 'Fastly-Key': context.token, Accept: 'application/json', ...request.headers },
      // A redirect would carry Fastly-Key to wherever it points: never follow one.
      redirect: 'manual',
      signal: AbortSignal.any([signal, timeout]),
    });
    text = await response.text();
  } catch (error) {
    // The caller's cancellation is not a purge failure: it ends the run, unretried.
    if (signal.aborted) throw signal.reason;
    if (timeout.aborted) {
      throw new PurgeError(
        'E_FASTLY_TIMEOUT',
        `${label(config)}: ${describeTarget(request)} got no answer within ${context.timeoutMs} ms`,
        {
          kind: 'timeout',
          at: request.url,
          hint: 'the Fastly API was slow; the purge is retried',
          cause: error,
        },
      );
    }
    throw new PurgeError(
      'E_FASTLY_UNREACHABLE',
      `${label(config)}: ${describeTarget(request)} failed: ${errorCode(error)}`,
      {
        kind: 'network',
        at: request.url,
        hint: 'check the network path to the Fastly API (and FASTLY_API_URL, if set)',
        cause: error,
      },
    );
  }

  const status = response.status;
  const scrub = scrubber(context.token);
  const body = parseJson(text);
  if (status >= 200 && status < 300) {
    const problem = confirmationProblem(request, body);
    if (problem !== undefined) {
      const said = scrub(fastlyReason(body, text) ?? '');
      const explicit = isRecord(body) && body.status !== undefined && body.status !== 'ok';
      throw new PurgeError(
        'E_FASTLY_UNCONFIRMED',
        `${label(config)}: ${describeTarget(request)} answered ${status} but ${problem}${said === '' ? '' : `: ${said}`}`,
        {
          // Fastly's own "status" other than ok is a refusal; a body that is not Fastly's
          // (a proxy page, a truncated answer) may be transient.
          kind: explicit ? 'refused' : 'server',
          status,
          at: request.url,
          hint: 'a purge counts only when Fastly returns its id; check FASTLY_API_URL if it is set',
        },
      );
    }
    return request.op === 'all' ? budgetPause(response.headers, context.now()) : undefined;
  }
  throw failureFor(
    context,
    request,
    status,
    response.headers,
    scrub(fastlyReason(body, text) ?? ''),
  );
}

/**
 * Why a 2xx is not a confirmed purge, or undefined when it is. Success bodies: `{"status":"ok",
 * "id":…}` for a URL or one key (https://github.com/fastly/fastly-ruby/issues/148), a map of
 * key → id for several keys (bulkPurgeTag returns {String: String}), `{"status":"ok"}` for
 * purge_all (InlineResponse200, https://github.com/fastly/fastly-ruby/blob/main/docs/InlineResponse200.md).
 */
function confirmationProblem(request: FastlyRequest, body: unknown): string | undefined {
  if (!isRecord(body)) return 'its body is not a JSON object';
  if (body.status !== undefined && body.status !== 'ok')
    return `its status is ${JSON.stringify(body.status)}`;
  switch (request.op) {
    case 'url':
      return typeof body.id === 'string' && body.id !== '' ? undefined : 'it holds no purge id';
    case 'keys': {
      const missing = (request.keys ?? []).filter((key) => typeof body[key] !== 'string');
      return missing.length === 0 ? undefined : `it holds no purge id for ${keysTarget(missing)}`;
    }
    case 'all':
      return body.status === 'ok' ? undefined : 'it does not say "status": "ok"';
  }
}

/** The PurgeError for a non-2xx answer, in the terms the executor acts on. */
function failureFor(
  context: SendContext,
  request: FastlyRequest,
  status: number,
  headers: Headers,
  reason: string,
): PurgeError {
  const { config } = context;
  const message = `${label(config)}: ${describeTarget(request)} answered ${status}${reason === '' ? '' : `: ${reason}`}`;
  const at = request.url;
  if (status === 401 || status === 403) {
    // purge_select: "only be able to purge (and only by URL and surrogate keys)"; purge_all
    // needs its own scope (https://www.fastly.com/documentation/reference/api/auth-tokens/user/).
    const scope =
      request.op === 'all'
        ? 'the purge_all scope (or global)'
        : 'the purge_select scope (or global), which URL and key purges need';
    return new PurgeError('E_FASTLY_AUTH', message, {
      kind: 'auth',
      status,
      at,
      hint:
        status === 401
          ? `Fastly did not accept FASTLY_API_TOKEN (missing, expired or revoked): use an active API token with ${scope} and access to service ${config.serviceId}`
          : `FASTLY_API_TOKEN may not do this: it needs ${scope} and access to service ${config.serviceId}`,
    });
  }
  if (status === 404) {
    if (request.op === 'url') {
      // A URL purge is routed by its host; 404 {"msg":"Record not found","details":"Cannot find
      // service"} means no service of this token serves it (https://github.com/fastly/fastly-php/issues/53).
      return new PurgeError('E_FASTLY_HOST', message, {
        kind: 'not-found',
        status,
        at,
        hint: "the URL's host must be a domain of a Fastly service this token can purge; check baseUrl and the service's domains",
      });
    }
    return new PurgeError('E_FASTLY_SERVICE', message, {
      kind: 'not-found',
      status,
      at,
      hint: `check serviceId (${config.serviceId}): it must be the service ID, not its name, and the token must have access to it`,
    });
  }
  if (status === 429) {
    const now = context.now();
    return new PurgeError('E_FASTLY_RATE_LIMIT', message, {
      kind: 'rate-limit',
      status,
      at,
      retryAfterMs: parseRetryAfter(headers.get('retry-after'), now) ?? untilReset(headers, now),
      hint: 'Fastly allows 1,000 purge_all (and other non-purge) requests per hour per user; URL and key purges are not limited',
    });
  }
  if (status >= 500) {
    return new PurgeError('E_FASTLY_SERVER', message, {
      kind: 'server',
      status,
      at,
      hint: 'the Fastly API failed; the purge is retried (see https://www.fastlystatus.com)',
    });
  }
  if (status === 400 && request.op === 'keys' && /up to \d+ surrogate keys/i.test(reason)) {
    return new PurgeError('E_FASTLY_TOO_MANY_KEYS', message, { kind: 'too-large', status, at });
  }
  return new PurgeError('E_FASTLY_PURGE', message, {
    kind: 'invalid',
    status,
    at,
    hint:
      status >= 300 && status < 400
        ? 'the API answered with a redirect, which is not followed (it would carry the token); check FASTLY_API_URL'
        : 'Fastly refused the request as sent; its answer is quoted above',
  });
}

/** Milliseconds until Fastly-RateLimit-Reset (epoch seconds, https://docs.fastly.com/api/). */
function untilReset(headers: Headers, now: number): number | undefined {
  const reset = Number(headers.get('fastly-ratelimit-reset') ?? Number.NaN);
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now) : undefined;
}

/** The pause a spent budget asks for: Fastly-RateLimit-Remaining 0 until the reset. */
function budgetPause(headers: Headers, now: number): number | undefined {
  const raw = headers.get('fastly-ratelimit-remaining');
  if (raw === null || raw.trim() === '' || !(Number(raw) <= 0)) return undefined;
  const pause = untilReset(headers, now);
  return pause !== undefined && pause > 0 ? pause : undefined;
}

/**
 * Fastly's own words from an error body: `{"msg","detail"}` (legacyError in
 * https://github.com/fastly/go-fastly/blob/main/fastly/errors.go; some answers say `details`,
 * https://github.com/fastly/fastly-php/issues/53), `{"status":"fail","reason"}`
 * (https://github.com/fastly/fastly-magento2/issues/104), or JSON:API `errors[]`.
 */
function fastlyReason(body: unknown, text: string): string | undefined {
  if (isRecord(body)) {
    const parts: string[] = [];
    for (const field of ['msg', 'title', 'detail', 'details', 'reason']) {
      const value = body[field];
      if (typeof value === 'string' && value !== '') parts.push(value);
    }
    if (Array.isArray(body.errors)) {
      for (const entry of body.errors) {
        if (!isRecord(entry)) continue;
        for (const field of ['title', 'detail']) {
          const value = entry[field];
          if (typeof value === 'string' && value !== '') parts.push(value);
        }
      }
    }
    if (parts.length > 0) return parts.join(': ');
  }
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  return trimmed.length > 200 ? `${trimmed.slice(0, 200)}…` : trimmed;
}

/** Removes the token from text the API sent back, should it ever echo it. */
function scrubber(token: string): (text: string) => string {
  return (text) => (token === '' ? text : text.split(token).join('[redacted]'));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function label(config: FastlyConfig): string {
  const name = config.name !== undefined && config.name !== 'fastly' ? ` (${config.name})` : '';
  return `fastly${name} service ${config.serviceId}`;
}

function describeTarget(request: FastlyRequest): string {
  switch (request.op) {
    case 'url':
      return `URL purge of ${request.target}`;
    case 'keys':
      return `key purge of ${request.target}`;
    case 'all':
      return 'purge_all';
  }
}

/** Names a few keys and counts the rest, so a 256-key message stays one line. */
function keysTarget(keys: readonly string[]): string {
  const shown = keys.slice(0, 5).join(' ');
  return keys.length > 5 ? `${keys.length} keys (${shown} …)` : shown;
}

function errorCode(error: unknown): string {
  const err = error as { code?: string; cause?: { code?: string }; name?: string };
  return err.cause?.code ?? err.code ?? err.name ?? 'error';
}
