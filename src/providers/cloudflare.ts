import Cloudflare, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from 'cloudflare';
import type { CloudflareConfig } from '../config/schema.ts';
import type { Provider, ProviderCapabilities, PurgeBatch, PurgeOutcome } from './provider.ts';
import { PurgeError, type PurgeFailureKind, parseRetryAfter } from './purge-error.ts';

/**
 * Cloudflare through the official SDK (`client.cache.purge`). Every limit below comes from
 * developers.cloudflare.com/cache/how-to/purge-cache/#availability-and-limits unless a comment
 * names another source.
 */
export interface CloudflareOptions {
  /** API token (CLOUDFLARE_API_TOKEN). Sent as a Bearer token, never put in a message. */
  token: string;
  /** API base including /client/v4; undefined lets the SDK read CLOUDFLARE_BASE_URL itself. */
  baseURL?: string;
  fetch?: typeof fetch;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

type PurgeParams = Parameters<Cloudflare['cache']['purge']>[0];
type FileEntry = string | { url: string; headers: Record<string, string> };

const PLAN_RATE: Record<CloudflareConfig['plan'], { perSecond: number; burst: number }> = {
  // "The current purge limits are applied per account" as a token bucket: Free 5 requests per
  // minute (bucket 25), Pro 5/s (25), Business 10/s (50), Enterprise 50/s (500).
  free: { perSecond: 5 / 60, burst: 25 },
  pro: { perSecond: 5, burst: 25 },
  business: { perSecond: 10, burst: 50 },
  enterprise: { perSecond: 50, burst: 500 },
};

// Hostname, tag and prefix purges are on every plan ("Purge options" row of the availability
// table) and take 100 items of each kind per request (cloudflare/cloudflare-docs#32906, which
// replaced the older "30 per request, Enterprise only").
const FLEX_ITEMS_PER_REQUEST = 100;

// The table says 100 URLs per request (500 on Enterprise), but purge by URL still refuses more
// than 30 outside Enterprise (cloudflare/cloudflare-docs#21338, #13619; MnemeHQ/mneme#215).
function filesPerRequest(config: CloudflareConfig): number {
  return config.maxUrlsPerRequest ?? (config.plan === 'enterprise' ? 500 : 30);
}

/**
 * Batch sizes and the rate budget for a zone's plan. With `cacheKeyHeaders` every URL becomes
 * one `files` entry per combination of header values, and the per-request limit counts entries:
 * N URLs × k combinations must stay within it, so the URL batch is the limit divided by k
 * (rounded down, at least 1).
 */
export function cloudflareCapabilities(config: CloudflareConfig): ProviderCapabilities {
  const combinations = headerCombinations(config.cacheKeyHeaders).length;
  return {
    maxUrlsPerRequest: Math.max(1, Math.floor(filesPerRequest(config) / combinations)),
    maxPrefixesPerRequest: FLEX_ITEMS_PER_REQUEST,
    maxTagsPerRequest: FLEX_ITEMS_PER_REQUEST,
    maxHostsPerRequest: FLEX_ITEMS_PER_REQUEST,
    everything: true,
    // The budget is the account's, paced by the executor; a few requests in flight keep latency
    // hidden without bursting past the bucket.
    concurrency: 4,
    rate: PLAN_RATE[config.plan],
  };
}

/**
 * Why Cloudflare would refuse `prefix`, in words; undefined when it is acceptable. Rules from
 * developers.cloudflare.com/cache/how-to/purge-cache/purge_by_prefix/ ("Limitations"): host
 * and path without a scheme, no query string or fragment, at most 31 path separators.
 */
export function checkCloudflarePrefix(prefix: string): string | undefined {
  if (prefix.trim() === '') return 'is empty';
  if (/\s/.test(prefix)) return 'contains whitespace';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(prefix))
    return 'starts with a scheme; write host/path, e.g. www.example.com/blog/';
  if (prefix.includes('?')) return 'has a query string; prefix purges cannot match queries';
  if (prefix.includes('#')) return 'has a fragment; prefix purges cannot match fragments';
  if (prefix.startsWith('/')) return 'has no hostname; write host/path, e.g. www.example.com/blog/';
  const separators = prefix.split('/').length - 1;
  if (separators > 31) return `has ${separators} path separators; Cloudflare allows at most 31`;
  return undefined;
}

/** A provider that purges one zone through `client.cache.purge`. */
export function createCloudflareProvider(
  config: CloudflareConfig,
  options: CloudflareOptions,
): Provider {
  const client = new Cloudflare({
    apiToken: options.token,
    // Only the token authenticates: a CLOUDFLARE_API_KEY or CLOUDFLARE_EMAIL in the environment
    // must not add X-Auth-* headers the user did not ask for.
    apiKey: null,
    apiEmail: null,
    userServiceKey: null,
    // Left undefined, the constructor's default reads CLOUDFLARE_BASE_URL (client.ts:
    // `baseURL = readEnv('CLOUDFLARE_BASE_URL')`).
    ...(options.baseURL === undefined ? {} : { baseURL: options.baseURL }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    // The executor owns retries: the SDK's own retry sleeps for whatever Retry-After says,
    // without a cap (client.ts retryRequest), and would hide 429s from the shared pacing.
    maxRetries: 0,
    timeout: options.timeoutMs ?? 30_000,
    // The SDK logs to console (stdout); `--json` output must stay one document.
    logLevel: 'off',
  });
  const zoneId = config.zoneId;
  const at = `POST /zones/${zoneId}/purge_cache`;
  const perRequest = filesPerRequest(config);
  const combinations = headerCombinations(config.cacheKeyHeaders);

  const requestsFor = (batch: PurgeBatch): PurgeRequest[] =>
    toRequests(batch, zoneId, perRequest, combinations);

  return {
    name: config.name ?? 'cloudflare',
    type: 'cloudflare',
    capabilities: cloudflareCapabilities(config),
    async purge(batch: PurgeBatch, signal: AbortSignal): Promise<PurgeOutcome> {
      if (batch.kind === 'prefixes') rejectBadPrefixes(batch.prefixes, zoneId, at);
      const requests = requestsFor(batch);
      for (const request of requests) {
        await send(client, request, { zoneId, at, token: options.token }, signal);
      }
      return { requests: requests.length };
    },
    describe(batch: PurgeBatch): readonly string[] {
      return requestsFor(batch).map((request) => `${at} ${request.summary}`);
    },
  };
}

/** One purge_cache call: its body and how messages name it. */
interface PurgeRequest {
  readonly params: PurgeParams;
  /** `files=30 [first … last]`, for describe(). */
  readonly summary: string;
  /** `30 URLs`, for messages. */
  readonly size: string;
  /** Entries in the body: too-large only means something when a split is possible. */
  readonly entries: number;
}

function toRequests(
  batch: PurgeBatch,
  zone_id: string,
  perRequest: number,
  combinations: readonly Record<string, string>[],
): PurgeRequest[] {
  switch (batch.kind) {
    case 'urls': {
      // Without cache-key headers, the plain form `files: [url, …]`; with them, one
      // `{ url, headers }` per combination (purge-cache-key docs: CF-Device-Type, CF-IPCountry,
      // Accept-Language must match what the object was cached with).
      const plain = combinations.every((headers) => Object.keys(headers).length === 0);
      const files = batch.urls.flatMap((url): FileEntry[] =>
        plain ? [url] : combinations.map((headers) => ({ url, headers })),
      );
      return chunk(files, perRequest).map((part) => {
        const urls = part.map((file) => (typeof file === 'string' ? file : file.url));
        const unique = [...new Set(urls)];
        const size =
          part.length === unique.length
            ? plural(part.length, 'URL')
            : `${plural(unique.length, 'URL')} (${part.length} files entries)`;
        return {
          params: { zone_id, files: part } as PurgeParams,
          summary: `files=${part.length} ${span(unique)}`,
          size,
          entries: part.length,
        };
      });
    }
    case 'prefixes':
      return chunk(batch.prefixes, FLEX_ITEMS_PER_REQUEST).map((part) => ({
        params: { zone_id, prefixes: [...part] },
        summary: `prefixes=${part.length} ${span(part)}`,
        size: plural(part.length, 'prefix', 'prefixes'),
        entries: part.length,
      }));
    case 'tags':
      return chunk(batch.tags, FLEX_ITEMS_PER_REQUEST).map((part) => ({
        params: { zone_id, tags: [...part] },
        summary: `tags=${part.length} ${span(part)}`,
        size: plural(part.length, 'tag'),
        entries: part.length,
      }));
    case 'hosts':
      return chunk(batch.hosts, FLEX_ITEMS_PER_REQUEST).map((part) => ({
        params: { zone_id, hosts: [...part] },
        summary: `hosts=${part.length} ${span(part)}`,
        size: plural(part.length, 'host'),
        entries: part.length,
      }));
    case 'everything':
      // purge_everything is zone-wide and "must be the only field in the request" (SDK
      // CachePurgeEverything): the batch's hosts are all in this zone anyway.
      return [
        {
          params: { zone_id, purge_everything: true },
          summary: 'purge_everything=true',
          size: 'everything',
          entries: 1,
        },
      ];
  }
}

/** Every combination of the configured cache-key header values; [{}] when there are none. */
function headerCombinations(
  cacheKeyHeaders: Record<string, string[]> | undefined,
): Record<string, string>[] {
  let combos: Record<string, string>[] = [{}];
  for (const [name, values] of Object.entries(cacheKeyHeaders ?? {})) {
    combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [name]: value })));
  }
  return combos;
}

function rejectBadPrefixes(prefixes: readonly string[], zoneId: string, at: string): void {
  for (const prefix of prefixes) {
    const problem = checkCloudflarePrefix(prefix);
    if (problem === undefined) continue;
    throw new PurgeError(
      'E_CF_PREFIX',
      `cloudflare zone ${zoneId}: prefix "${prefix}" ${problem}; nothing was sent`,
      {
        kind: 'invalid',
        at,
        hint: 'a prefix is host/path (www.example.com/blog/) with at most 31 "/" and no query',
      },
    );
  }
}

interface SendContext {
  readonly zoneId: string;
  readonly at: string;
  readonly token: string;
}

/** Shape of every v4 API answer (success and failure alike). */
interface Envelope {
  success?: unknown;
  errors?: unknown;
}

async function send(
  client: Cloudflare,
  request: PurgeRequest,
  context: SendContext,
  signal: AbortSignal,
): Promise<void> {
  let response: Response;
  try {
    // asResponse(): the SDK only throws for non-2xx; the envelope's `success` is ours to read.
    response = await client.cache.purge(request.params, { signal }).asResponse();
  } catch (error) {
    if (signal.aborted || error instanceof APIUserAbortError) throw signal.reason ?? error;
    throw toPurgeError(error, request, context);
  }
  const text = await response.text().catch(() => '');
  let envelope: Envelope | undefined;
  try {
    envelope = JSON.parse(text) as Envelope;
  } catch {
    envelope = undefined;
  }
  if (envelope?.success === true) return;
  if (envelope === undefined || typeof envelope !== 'object' || envelope === null) {
    throw new PurgeError(
      'E_CF_RESPONSE',
      `cloudflare zone ${context.zoneId}: purge of ${request.size} answered ${response.status} without a JSON envelope`,
      {
        // A proxy or an outage page in between: another try may reach the API.
        kind: 'server',
        status: response.status,
        at: context.at,
        hint: 'check CLOUDFLARE_BASE_URL and any proxy between here and api.cloudflare.com',
      },
    );
  }
  // A 2xx whose envelope says success: false did not purge anything.
  throw classify(response.status, apiErrors(envelope.errors), response.headers, request, context);
}

/** SDK errors → PurgeError; anything else (a bug) passes through untouched. */
function toPurgeError(error: unknown, request: PurgeRequest, context: SendContext): unknown {
  const what = `cloudflare zone ${context.zoneId}: purge of ${request.size}`;
  // APIConnectionTimeoutError extends APIConnectionError: test it first.
  if (error instanceof APIConnectionTimeoutError) {
    return new PurgeError('E_CF_TIMEOUT', `${what} timed out waiting for the API`, {
      kind: 'timeout',
      at: context.at,
      hint: 'the Cloudflare API was slow to answer; the executor retries',
      cause: error,
    });
  }
  if (error instanceof APIConnectionError) {
    return new PurgeError(
      'E_CF_NETWORK',
      `${what} failed: connection error (${scrub(causeCode(error), context.token)})`,
      {
        kind: 'network',
        at: context.at,
        hint: 'check the network path to api.cloudflare.com (or CLOUDFLARE_BASE_URL)',
        cause: error,
      },
    );
  }
  if (error instanceof APIError && error.status !== undefined) {
    // No `cause`: the SDK's message is the raw body, which a server could fill with anything;
    // status and the API's errors are in our message already, scrubbed.
    return classify(error.status, apiErrors(error.errors), error.headers, request, context);
  }
  return error;
}

interface ApiErrorItem {
  readonly code: number | undefined;
  readonly message: string;
}

function apiErrors(raw: unknown): ApiErrorItem[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((item: { code?: unknown; message?: unknown }) => ({
    code: typeof item?.code === 'number' ? item.code : undefined,
    message: typeof item?.message === 'string' ? item.message : JSON.stringify(item),
  }));
}

// Authentication error (10000) for a wrong token or one without access to the zone;
// 9106 "Missing X-Auth-Key, X-Auth-Email or Authorization headers"; 6003 "Invalid request
// headers" with 6111 "Invalid format for Authorization header" (jakejarvis/cloudflare-purge-action#1
// shows 6003/6103 for a malformed key).
const AUTH_CODES = new Set([10000, 9106, 6003, 6103, 6111]);
// 7003 "Could not route to /client/v4/zones/<id>/purge_cache, perhaps your object identifier is
// invalid?" with 7000 "No route for that URI": a zone name or a mistyped ID
// (timothymiller/cloudflare-ddns#152, lukesUbuntu/cloudflare-api#4).
const ZONE_CODES = new Set([7003, 7000]);
// Cloudflare's code for "too many items in one request" is not published; tag, host and prefix
// purges say the request "cannot provide more than 100 items" (cloudflare/cloudflare-docs#21338).
// Match the wording, so a limit lowered server-side splits the batch instead of failing it.
const TOO_LARGE_WORDING = /more than \d+|too many|maximum|exceed/i;

function classify(
  status: number,
  errors: readonly ApiErrorItem[],
  headers: Headers | undefined,
  request: PurgeRequest,
  context: SendContext,
): PurgeError {
  const codes = new Set(errors.map((error) => error.code));
  const said = scrub(
    errors
      .map((error) => `${error.message}${error.code === undefined ? '' : ` (code ${error.code})`}`)
      .join('; '),
    context.token,
  );
  const message = `cloudflare zone ${context.zoneId}: purge of ${request.size} failed: ${status}${said === '' ? '' : ` ${said}`}`;
  const make = (code: string, kind: PurgeFailureKind, hint: string, retryAfterMs?: number) =>
    new PurgeError(code, message, { kind, status, at: context.at, hint, retryAfterMs });

  if (status === 401 || status === 403 || [...AUTH_CODES].some((code) => codes.has(code))) {
    return make(
      'E_CF_AUTH',
      'auth',
      'the token needs Zone › Cache Purge permission for this zone (and Zone › Read if a zone name is used); set it in CLOUDFLARE_API_TOKEN',
    );
  }
  if (status === 404 || [...ZONE_CODES].some((code) => codes.has(code))) {
    return make(
      'E_CF_ZONE',
      'not-found',
      "use the 32-hex zone ID from the zone's Overview page (API section), not the domain name",
    );
  }
  if (status === 429) {
    return make(
      'E_RATE_LIMIT',
      'rate-limit',
      'the purge budget is shared by the whole account; set "plan" to the zone\'s plan so edgepurge paces to it',
      parseRetryAfter(headers?.get('retry-after')),
    );
  }
  if (status >= 500) {
    return make('E_CF_SERVER', 'server', 'a Cloudflare API error; the executor retries');
  }
  if (
    request.entries > 1 &&
    (status === 413 || (status === 400 && errors.some((e) => TOO_LARGE_WORDING.test(e.message))))
  ) {
    return make(
      'E_CF_TOO_LARGE',
      'too-large',
      'Cloudflare refused the batch size; lower "maxUrlsPerRequest" (30 outside Enterprise)',
    );
  }
  if (status >= 400) {
    return make(
      'E_CF_REQUEST',
      'invalid',
      'Cloudflare refused the request as sent; see its message above',
    );
  }
  return make('E_CF_REFUSED', 'refused', 'the API answered without success; see its message above');
}

function causeCode(error: APIConnectionError): string {
  const cause = error.cause as { code?: string; cause?: { code?: string; message?: string } };
  return cause?.cause?.code ?? cause?.code ?? cause?.cause?.message ?? error.message;
}

/** A credential never leaves in a message, even if a server echoes it. */
function scrub(text: string, token: string): string {
  return token.length === 0 ? text : text.split(token).join('[redacted]');
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}

function span(items: readonly string[]): string {
  if (items.length === 0) return '[]';
  if (items.length === 1) return `[${items[0]}]`;
  return `[${items[0]} … ${items[items.length - 1]}]`;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
