import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'cloudflare';
import type { PurgeRequest } from './cloudflare-requests.ts';
import { PurgeError, type PurgeFailureKind, parseRetryAfter } from './purge-error.ts';

export interface SendContext {
  readonly zoneId: string;
  readonly at: string;
  readonly token: string;
}

/** SDK errors → PurgeError; anything else (a bug) passes through untouched. */
export function toPurgeError(error: unknown, request: PurgeRequest, context: SendContext): unknown {
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

export function apiErrors(raw: unknown): ApiErrorItem[] {
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

export function classify(
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
