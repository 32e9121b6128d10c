import pLimit from 'p-limit';
import type { FastlyConfig } from '../config/schema.ts';
import { RETRYABLE_KINDS } from '../purge/retry-policy.ts';
import {
  errorCode,
  failureFor,
  fastlyReason,
  isRecord,
  parseJson,
  scrubber,
  untilReset,
} from './fastly-errors.ts';
import { describeTarget, type FastlyRequest, keysTarget, label } from './fastly-requests.ts';
import { batchFailure, PurgeError, type RequestFailure } from './purge-error.ts';

// URL purges within one batch in flight at once; with 2 batches that is 16 requests.
const URL_REQUESTS_IN_FLIGHT = 8;

export interface SendContext {
  readonly config: FastlyConfig;
  readonly token: string;
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
  readonly now: () => number;
}

/**
 * Sends a batch's URL purges, a few at a time, one request per URL. Each request stands on its
 * own: a 5xx, a reset, a timeout or a 429 on one does not stop the others, and when any failed
 * the error says which URLs were accepted (`accepted`) and which request failed how
 * (`failures`), so the executor journals the accepted ones and retries only the rest. A refusal
 * that no retry cures (auth, an unknown host) stops new requests: the next would meet it too.
 */
export async function sendAll(
  context: SendContext,
  requests: readonly FastlyRequest[],
  signal: AbortSignal,
): Promise<number> {
  const limit = pLimit(URL_REQUESTS_IN_FLIGHT);
  const accepted: string[] = [];
  const failures: RequestFailure[] = [];
  let unexpected: { error: unknown } | undefined;
  let halted = false;
  let sent = 0;
  await Promise.all(
    requests.map((request) =>
      limit(async () => {
        if (halted || signal.aborted) return;
        sent += 1;
        try {
          // URL purges do not spend the hourly budget (https://docs.fastly.com/api/), so their
          // rate-limit headers never pause the provider.
          await sendOnce(context, request, signal);
          accepted.push(request.target);
        } catch (error) {
          if (!(error instanceof PurgeError)) {
            // The caller's cancellation (or a bug): ends the batch, unretried.
            unexpected ??= { error };
            halted = true;
            return;
          }
          failures.push({ targets: [request.target], error });
          if (!RETRYABLE_KINDS.has(error.kind)) halted = true;
        }
      }),
    ),
  );
  if (unexpected !== undefined) throw unexpected.error;
  // Cancelled with URLs unsent: not a success, whatever was sent.
  signal.throwIfAborted();
  if (failures.length > 0) throw batchFailure(failures, accepted, sent);
  return sent;
}

/**
 * One API request, once (the executor owns retries). Returns the pause the answer asks for:
 * milliseconds until Fastly-RateLimit-Reset when a request that spends the budget (purge_all)
 * left Fastly-RateLimit-Remaining at 0.
 */
export async function sendOnce(
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

/** The pause a spent budget asks for: Fastly-RateLimit-Remaining 0 until the reset. */
function budgetPause(headers: Headers, now: number): number | undefined {
  const raw = headers.get('fastly-ratelimit-remaining');
  if (raw === null || raw.trim() === '' || !(Number(raw) <= 0)) return undefined;
  const pause = untilReset(headers, now);
  return pause !== undefined && pause > 0 ? pause : undefined;
}
