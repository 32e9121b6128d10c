import { setTimeout as delay } from 'node:timers/promises';
import { GLOBALPING_ENDPOINT } from '../../config/vantage-schema.ts';
import { JobError } from '../../errors.ts';
import { VERSION } from '../../version.ts';

/**
 * A small client for Globalping's HTTP measurements, written from its public API reference:
 * https://api.globalping.io/v1/spec.yaml (source: github.com/jsdelivr/globalping,
 * public/v1/spec.yaml and public/v1/components/*.yaml).
 *
 * - `POST /v1/measurements` answers 202 `{ id, probesCount }` with X-RateLimit-Limit,
 *   -Remaining and -Reset ("seconds until the limit resets"); 400 `{ error: { type:
 *   "validation_error", message, params } }`; 422 `{ error: { type: "no_probes_found" } }`;
 *   429 `{ error: { type: "rate_limit_exceeded" } }` with the X-RateLimit-* headers.
 * - `GET /v1/measurements/{id}` answers the measurement; "wait 500 milliseconds [after the
 *   response] and start again" while `status` is `in-progress`; "sending more than two
 *   requests per second may trigger a rate limit": 429 with `Retry-After` (seconds).
 * - Limits ("Limits and credits" in the spec): without a token 250 tests an hour and 50 probes a
 *   measurement, per IP address; with a token (`Authorization: Bearer`, dash.globalping.io)
 *   500 tests an hour and 500 probes, more with credits. One probe's result is one test.
 */

/** The request body of an HTTP measurement (MeasurementRequest with MeasurementHttpOptions). */
export interface HttpMeasurementRequest {
  readonly type: 'http';
  /** A host name or IP address: no scheme, no port, no path. */
  readonly target: string;
  /** Locations by `magic`, one probe each; or the id of a measurement whose probes to reuse. */
  readonly locations: readonly { readonly magic: string; readonly limit: number }[] | string;
  readonly measurementOptions: {
    readonly request: {
      readonly method: 'GET' | 'HEAD';
      readonly path: string;
      readonly query?: string;
      readonly host?: string;
      readonly headers?: Readonly<Record<string, string>>;
    };
    readonly protocol: 'HTTP' | 'HTTPS' | 'HTTP2';
    readonly port: number;
  };
}

/** One probe's answer (MeasurementResultItem; `result` as FinishedHttpTestResult when finished). */
export interface ProbeResultItem {
  readonly probe: {
    readonly continent: string;
    readonly country: string;
    readonly city: string;
    readonly network: string;
    readonly asn?: number;
  };
  readonly result: {
    /** `finished`, `failed`, `offline`, or `in-progress`: anything but in-progress is final. */
    readonly status: string;
    readonly rawOutput?: string;
    readonly statusCode?: number;
    readonly headers?: Readonly<Record<string, string | readonly string[]>>;
    /** "Only the first 10 kb are returned"; `truncated` says whether it was cut. */
    readonly rawBody?: string | null;
    readonly truncated?: boolean;
    readonly timings?: { readonly total?: number | null };
  };
}

export interface Measurement {
  readonly id: string;
  readonly status: string;
  readonly results: readonly ProbeResultItem[];
}

export interface GlobalpingClientOptions {
  readonly endpoint?: string;
  /** `GLOBALPING_TOKEN`: raises the hourly limit. Sent only as a header, never printed. */
  readonly token?: string;
  readonly signal: AbortSignal;
  /** How long, in all, the client may wait on rate limits before giving up. */
  readonly maxWaitMs: number;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly now?: () => number;
  readonly onWait?: (message: string) => void;
}

export interface GlobalpingClient {
  create(request: HttpMeasurementRequest): Promise<{ id: string; probesCount: number }>;
  /** Polls until the measurement is final or `deadline` (epoch ms) passes. */
  result(id: string, deadline: number): Promise<Measurement>;
}

// "wait 500 milliseconds and start again" (GET /v1/measurements/{id}, client guidelines).
const POLL_MS = 500;
// A 429 without Retry-After or X-RateLimit-Reset: a minute, a cautious guess.
const DEFAULT_RESET_S = 60;
// Network failures and 5xx: tried this many times in all, a second apart, then given up.
const ATTEMPTS = 3;

/** The Globalping API over fetch, with its rate limits honoured (see the file comment). */
export function createGlobalpingClient(options: GlobalpingClientOptions): GlobalpingClient {
  const base = (options.endpoint ?? GLOBALPING_ENDPOINT).replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
  const now = options.now ?? Date.now;
  const { signal } = options;
  const headers: Record<string, string> = {
    accept: 'application/json',
    'user-agent': `edgepurge/${VERSION}`,
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
  };
  // One gate for every request of the run: once the limit is spent, nothing is sent before it resets.
  let resumeAt = 0;
  let waited = 0;

  async function waitGate(): Promise<void> {
    const ms = resumeAt - now();
    if (ms <= 0) return;
    if (waited + ms > options.maxWaitMs) {
      throw rateLimitError(Math.ceil(ms / 1000), options.token !== undefined);
    }
    waited += ms;
    options.onWait?.(
      `vantage: Globalping's rate limit is spent; waiting ${Math.ceil(ms / 1000)} s`,
    );
    await sleep(ms, signal);
  }

  async function send(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await doFetch(`${base}${path}`, {
          method,
          headers:
            body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal,
        });
        if (response.status < 500 || attempt >= ATTEMPTS) return response;
        await response.body?.cancel();
      } catch (error) {
        if (signal.aborted || attempt >= ATTEMPTS) {
          throw new JobError(
            'E_VANTAGE_API',
            `Globalping did not answer ${method} ${path}: ${(error as Error).message}`,
            { hint: `check the network and verify.vantage.endpoint (${base})`, cause: error },
          );
        }
      }
      await sleep(1000 * attempt, signal);
    }
  }

  return {
    async create(request) {
      for (;;) {
        await waitGate();
        const response = await send('POST', '/v1/measurements', request);
        const reset = seconds(response.headers.get('x-ratelimit-reset'));
        if (response.status === 202) {
          const json = (await response.json()) as { id: string; probesCount: number };
          if (response.headers.get('x-ratelimit-remaining') === '0')
            resumeAt = Math.max(resumeAt, now() + (reset ?? DEFAULT_RESET_S) * 1000);
          return json;
        }
        const error = await errorOf(response);
        if (response.status === 429) {
          const wait = seconds(response.headers.get('retry-after')) ?? reset ?? DEFAULT_RESET_S;
          resumeAt = Math.max(resumeAt, now() + wait * 1000);
          continue;
        }
        throw apiError('POST /v1/measurements', response.status, error, base);
      }
    },

    async result(id, deadline) {
      const path = `/v1/measurements/${encodeURIComponent(id)}`;
      for (;;) {
        const response = await send('GET', path);
        if (response.status === 429) {
          await response.body?.cancel();
          // Per measurement, two requests a second: a short wait, bounded by the deadline.
          const wait = (seconds(response.headers.get('retry-after')) ?? 1) * 1000;
          if (now() + wait > deadline) throw timeoutError(id);
          await sleep(wait, signal);
          continue;
        }
        if (response.status !== 200) {
          throw apiError(`GET ${path}`, response.status, await errorOf(response), base);
        }
        const measurement = (await response.json()) as Measurement;
        if (measurement.status !== 'in-progress') return measurement;
        if (now() + POLL_MS > deadline) throw timeoutError(id);
        await sleep(POLL_MS, signal);
      }
    },
  };
}

interface ApiErrorBody {
  readonly type?: string;
  readonly message?: string;
  readonly params?: Readonly<Record<string, string>>;
}

async function errorOf(response: Response): Promise<ApiErrorBody> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error?: ApiErrorBody };
    return parsed.error ?? { message: text.slice(0, 200) };
  } catch {
    return { message: text.slice(0, 200) };
  }
}

/** What a refused request means, with what to do. 422 is a location matching no probe. */
function apiError(what: string, status: number, error: ApiErrorBody, base: string): JobError {
  const params = Object.entries(error.params ?? {})
    .map(([key, value]) => `${key}: ${value}`)
    .join('; ');
  const detail = `${error.message ?? `HTTP ${status}`}${params === '' ? '' : ` (${params})`}`;
  if (status === 401 || status === 403) {
    return new JobError('E_VANTAGE_AUTH', `Globalping refused the token (${status}): ${detail}`, {
      hint: 'GLOBALPING_TOKEN must be a token from https://dash.globalping.io (or unset it: the API works without one, with lower limits)',
    });
  }
  if (status === 422) {
    return new JobError('E_VANTAGE_NO_PROBES', `no probe found: ${detail}`, {
      hint: 'check the name in verify.vantage.locations (a continent, region, country, city, ASN or cloud region, as Globalping\'s "magic" field takes them)',
    });
  }
  return new JobError('E_VANTAGE_API', `Globalping answered ${status} to ${what}: ${detail}`, {
    hint: `this is edgepurge's request or the API (${base}); run again, and report it if it stays`,
  });
}

function rateLimitError(resetS: number, authenticated: boolean): JobError {
  return new JobError(
    'E_VANTAGE_RATE_LIMIT',
    `Globalping's rate limit is spent and resets in ${resetS} s, past verify.vantage.maxWaitSeconds`,
    {
      hint: authenticated
        ? 'a token allows 500 tests an hour (more with credits); lower verify.vantage.sample or the number of locations, or raise verify.vantage.maxWaitSeconds'
        : 'without a token Globalping allows 250 tests an hour per IP address: set GLOBALPING_TOKEN (500 an hour), lower verify.vantage.sample or the number of locations, or raise verify.vantage.maxWaitSeconds',
    },
  );
}

function timeoutError(id: string): JobError {
  return new JobError('E_VANTAGE_TIMEOUT', `measurement ${id} did not finish in time`, {
    hint: 'raise verify.timeoutSeconds',
  });
}

/** A header of whole seconds (Retry-After's delta form, X-RateLimit-Reset). */
function seconds(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}
