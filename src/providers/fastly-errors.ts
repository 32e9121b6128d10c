import type { FastlyConfig } from '../config/schema.ts';
import { describeTarget, type FastlyRequest, label } from './fastly-requests.ts';
import { PurgeError, parseRetryAfter } from './purge-error.ts';

/** What an error message needs from the provider's send context. */
interface FailureContext {
  readonly config: FastlyConfig;
  readonly now: () => number;
}

/** The PurgeError for a non-2xx answer, in the terms the executor acts on. */
export function failureFor(
  context: FailureContext,
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
export function untilReset(headers: Headers, now: number): number | undefined {
  const reset = Number(headers.get('fastly-ratelimit-reset') ?? Number.NaN);
  return Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - now) : undefined;
}

/**
 * Fastly's own words from an error body: `{"msg","detail"}` (legacyError in
 * https://github.com/fastly/go-fastly/blob/main/fastly/errors.go; some answers say `details`,
 * https://github.com/fastly/fastly-php/issues/53), `{"status":"fail","reason"}`
 * (https://github.com/fastly/fastly-magento2/issues/104), or JSON:API `errors[]`.
 */
export function fastlyReason(body: unknown, text: string): string | undefined {
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
export function scrubber(token: string): (text: string) => string {
  return (text) => (token === '' ? text : text.split(token).join('[redacted]'));
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function errorCode(error: unknown): string {
  const err = error as { code?: string; cause?: { code?: string }; name?: string };
  return err.cause?.code ?? err.code ?? err.name ?? 'error';
}
