import { request as httpRequest, STATUS_CODES } from 'node:http';
import {
  type FakeAnswer,
  type FakeRequest,
  type FakeServer,
  startFakeServer,
} from './fake-http.ts';

/**
 * A loopback Globalping API for HTTP measurements, written from the public reference
 * (https://api.globalping.io/v1/spec.yaml; github.com/jsdelivr/globalping public/v1/):
 *
 * - POST /v1/measurements → 202 `{ id, probesCount }`, `Location`, X-RateLimit-Limit /
 *   -Consumed / -Remaining / -Reset; 400 `{ error: { type: "validation_error", message:
 *   "Parameter validation failed.", params } }`; 422 `{ error: { type: "no_probes_found" } }`;
 *   429 `{ error: { type: "rate_limit_exceeded", message: "API rate limit exceeded." } }`;
 *   401 for a token it does not know.
 * - GET /v1/measurements/{id} → 200 with `status` "in-progress" for `pollsUntilDone` polls, then
 *   "finished" and one FinishedHttpTestResult per probe (rawBody cut to 10 kB with
 *   `truncated`); 404 `not_found`; 429 with `Retry-After` above two requests a second.
 *
 * Each location (matched against `magic`, case-insensitive) is one fake probe that performs the
 * HTTP request itself against its `upstream` (a loopback edge) with the measurement's target as
 * Host, so a test can make one "location" see another cache. Limits count tests (probes), per
 * window of `resetSeconds`, like the real API's hourly limit.
 */

export interface FakeLocation {
  readonly probe: {
    readonly continent: string;
    readonly region?: string;
    readonly country: string;
    readonly city: string;
    readonly asn?: number;
    readonly network?: string;
  };
  /** `http://127.0.0.1:PORT`: where this location's probe sends its requests. */
  upstream: string;
}

export interface FakeGlobalpingOptions {
  readonly locations: Readonly<Record<string, FakeLocation>>;
  /** GETs answered `in-progress` before `finished` (default 1). */
  readonly pollsUntilDone?: number;
  /** Tests per window without a token (the real API: 250 an hour). */
  readonly limit?: number;
  /** Tests per window with the token (the real API: 500 an hour). */
  readonly tokenLimit?: number;
  /** Window length (the real API: an hour). */
  readonly resetSeconds?: number;
  /** The one token it accepts as `Authorization: Bearer …`. */
  readonly token?: string;
}

export interface FakeMeasurement {
  readonly id: string;
  readonly body: Record<string, unknown>;
  readonly probes: readonly FakeLocation[];
  polls: number;
  results?: unknown[];
  done: Promise<void>;
}

export interface FakeGlobalping {
  readonly url: string;
  readonly server: FakeServer;
  readonly measurements: Map<string, FakeMeasurement>;
  /** Every answer's status, in order (429s, 400s, 202s…). */
  readonly answered: { readonly method: string; readonly path: string; readonly status: number }[];
  close(): Promise<void>;
}

const RAW_BODY_LIMIT = 10_000;
const MEASUREMENT_KEYS = new Set([
  'type',
  'target',
  'locations',
  'limit',
  'measurementOptions',
  'inProgressUpdates',
]);

export async function startFakeGlobalping(options: FakeGlobalpingOptions): Promise<FakeGlobalping> {
  const measurements = new Map<string, FakeMeasurement>();
  const answered: FakeGlobalping['answered'] = [];
  const resetMs = (options.resetSeconds ?? 3600) * 1000;
  const windows = new Map<string, { start: number; consumed: number }>();
  const polls = new Map<string, number[]>();
  let next = 1;

  const handle = async (req: FakeRequest): Promise<FakeAnswer> => {
    const path = req.url.split('?')[0] ?? '';
    if (req.method === 'POST' && path === '/v1/measurements') return create(req);
    const match = /^\/v1\/measurements\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && match) return get(decodeURIComponent(match[1] ?? ''));
    return error(404, 'not_found', "Couldn't find the requested item.");
  };

  function create(req: FakeRequest): FakeAnswer {
    const auth = req.headers.authorization;
    const authenticated = auth !== undefined;
    if (authenticated && auth !== `Bearer ${options.token}`)
      return error(401, 'unauthorized', 'Invalid credentials.');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(req.body) as Record<string, unknown>;
    } catch {
      return error(400, 'invalid_json', 'Invalid JSON.');
    }
    const params = validate(body);
    if (Object.keys(params).length > 0) return validation(params);

    const probes = pickProbes(body.locations);
    if (probes === undefined || probes.length === 0)
      return error(422, 'no_probes_found', 'No suitable probes found.');

    // Tests (probes) per window, per IP address or per token.
    const key = authenticated ? 'token' : 'ip';
    const limit = authenticated ? (options.tokenLimit ?? 500) : (options.limit ?? 250);
    const now = Date.now();
    let window = windows.get(key);
    if (window === undefined || now >= window.start + resetMs) {
      window = { start: now, consumed: 0 };
      windows.set(key, window);
    }
    const reset = String(Math.max(0, Math.ceil((window.start + resetMs - now) / 1000)));
    if (window.consumed + probes.length > limit) {
      return {
        status: 429,
        headers: {
          'x-ratelimit-limit': String(limit),
          'x-ratelimit-consumed': '0',
          'x-ratelimit-remaining': String(limit - window.consumed),
          'x-ratelimit-reset': reset,
          'x-request-cost': String(probes.length),
        },
        body: { error: { type: 'rate_limit_exceeded', message: 'API rate limit exceeded.' } },
      };
    }
    window.consumed += probes.length;
    const id = `fake${String(next++).padStart(12, '0')}`;
    const measurement: FakeMeasurement = {
      id,
      body,
      probes,
      polls: 0,
      done: Promise.resolve(),
    };
    measurement.done = Promise.all(probes.map((probe) => runProbe(body, probe))).then((results) => {
      measurement.results = results;
    });
    measurements.set(id, measurement);
    return {
      status: 202,
      headers: {
        location: `/v1/measurements/${id}`,
        'x-ratelimit-limit': String(limit),
        'x-ratelimit-consumed': String(probes.length),
        'x-ratelimit-remaining': String(limit - window.consumed),
        'x-ratelimit-reset': reset,
      },
      body: { id, probesCount: probes.length },
    };
  }

  async function get(id: string): Promise<FakeAnswer> {
    const measurement = measurements.get(id);
    if (measurement === undefined)
      return error(404, 'not_found', "Couldn't find the requested item.");
    // "Sending more than two requests per second may trigger a rate limit."
    const now = Date.now();
    const recent = (polls.get(id) ?? []).filter((at) => now - at < 1000);
    recent.push(now);
    polls.set(id, recent);
    if (recent.length > 2) {
      return {
        status: 429,
        headers: { 'retry-after': '1' },
        body: { error: { type: 'too_many_requests', message: 'Too many requests.' } },
      };
    }
    measurement.polls++;
    const finished =
      measurement.polls > (options.pollsUntilDone ?? 1) && measurement.results !== undefined;
    if (finished) await measurement.done;
    return {
      status: 200,
      body: {
        id,
        type: 'http',
        status: finished ? 'finished' : 'in-progress',
        createdAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
        target: measurement.body.target,
        probesCount: measurement.probes.length,
        measurementOptions: measurement.body.measurementOptions,
        results: measurement.probes.map((probe, i) => ({
          probe: probeOf(probe),
          result: finished
            ? measurement.results?.[i]
            : { status: 'in-progress', rawHeaders: '', rawBody: null, rawOutput: '' },
        })),
      },
    };
  }

  function pickProbes(locations: unknown): FakeLocation[] | undefined {
    if (typeof locations === 'string') return measurements.get(locations)?.probes.slice();
    const list = (locations ?? []) as { magic?: string; limit?: number }[];
    const picked: FakeLocation[] = [];
    for (const location of list) {
      const name = Object.keys(options.locations).find(
        (key) => key.toLowerCase() === String(location.magic ?? '').toLowerCase(),
      );
      const found = name === undefined ? undefined : options.locations[name];
      if (found !== undefined && !picked.includes(found)) picked.push(found);
    }
    return picked;
  }

  const server = await startFakeServer(async (req) => {
    const answer = await handle(req);
    answered.push({
      method: req.method,
      path: req.url,
      status: 'status' in answer ? answer.status : 0,
    });
    return answer;
  });
  return {
    url: server.url,
    server,
    measurements,
    answered,
    close: () => server.close(),
  };
}

function validate(body: Record<string, unknown>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const key of Object.keys(body))
    if (!MEASUREMENT_KEYS.has(key)) params[key] = `"${key}" is not allowed`;
  if (!['ping', 'traceroute', 'dns', 'mtr', 'http'].includes(String(body.type)))
    params.type = '"type" must be one of [ping, traceroute, dns, mtr, http]';
  if (typeof body.target !== 'string' || !/^[A-Za-z0-9.-]+$/.test(body.target))
    params.target = '"target" does not match any of the allowed types';
  const locations = body.locations;
  if (typeof locations !== 'string' && locations !== undefined) {
    if (!Array.isArray(locations)) params.locations = '"locations" must be an array or a string';
    else
      locations.forEach((location: Record<string, unknown>, i) => {
        const limit = location.limit;
        if (
          limit !== undefined &&
          (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 200)
        )
          params[`locations[${i}].limit`] = `"locations[${i}].limit" must be between 1 and 200`;
      });
  }
  const options = (body.measurementOptions ?? {}) as Record<string, unknown>;
  const request = (options.request ?? {}) as Record<string, unknown>;
  if (request.method !== undefined && !['GET', 'HEAD'].includes(String(request.method)))
    params['measurementOptions.request.method'] =
      '"measurementOptions.request.method" must be one of [HEAD, GET]';
  if (
    options.protocol !== undefined &&
    !['HTTP', 'HTTPS', 'HTTP2'].includes(String(options.protocol))
  )
    params['measurementOptions.protocol'] =
      '"measurementOptions.protocol" must be one of [HTTP, HTTPS, HTTP2]';
  const port = options.port;
  if (
    port !== undefined &&
    (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535)
  )
    params['measurementOptions.port'] = '"measurementOptions.port" must be between 0 and 65535';
  return params;
}

function probeOf(location: FakeLocation): Record<string, unknown> {
  return {
    continent: location.probe.continent,
    region: location.probe.region ?? 'Western Europe',
    country: location.probe.country,
    state: null,
    city: location.probe.city,
    asn: location.probe.asn ?? 64500,
    longitude: 0,
    latitude: 0,
    network: location.probe.network ?? 'Fake Networks',
    tags: [],
    resolvers: ['private'],
  };
}

/** The probe's own HTTP request, answered in FinishedHttpTestResult's shape. */
function runProbe(body: Record<string, unknown>, location: FakeLocation): Promise<unknown> {
  const options = (body.measurementOptions ?? {}) as {
    request?: {
      method?: string;
      path?: string;
      query?: string;
      host?: string;
      headers?: Record<string, string>;
    };
    port?: number;
    protocol?: string;
  };
  const req = options.request ?? {};
  const port = options.port ?? (options.protocol === 'HTTP' ? 80 : 443);
  const defaultPort = options.protocol === 'HTTP' ? 80 : 443;
  const target = String(body.target);
  const host = req.host ?? (port === defaultPort ? target : `${target}:${port}`);
  const path = `${req.path ?? '/'}${req.query ? `?${req.query}` : ''}`;
  const upstream = new URL(location.upstream);
  const started = Date.now();
  return new Promise((resolve) => {
    const outgoing = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method ?? 'HEAD',
        path,
        headers: {
          ...req.headers,
          host,
          'user-agent': 'globalping probe (https://github.com/jsdelivr/globalping-probe)',
        },
      },
      (res) => {
        const firstByte = Date.now() - started;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const all = Buffer.concat(chunks);
          const truncated = all.length > RAW_BODY_LIMIT;
          const rawBody =
            all.length === 0 ? null : all.subarray(0, RAW_BODY_LIMIT).toString('utf8');
          const rawHeaders: string[] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2)
            rawHeaders.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
          const status = res.statusCode ?? 0;
          const total = Date.now() - started;
          resolve({
            status: 'finished',
            resolvedAddress: upstream.hostname,
            headers: res.headers,
            rawHeaders: rawHeaders.join('\n'),
            rawBody,
            truncated,
            statusCode: status,
            statusCodeName: STATUS_CODES[status] ?? '',
            timings: { total, dns: 0, tcp: 0, tls: null, firstByte, download: total - firstByte },
            tls: null,
            rawOutput: `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\n${rawHeaders.join('\n')}\n\n${rawBody ?? ''}`,
          });
        });
      },
    );
    outgoing.on('error', (err) =>
      resolve({ status: 'failed', rawOutput: `request failed: ${err.message}` }),
    );
    outgoing.end();
  });
}

function error(status: number, type: string, message: string): FakeAnswer {
  return { status, body: { error: { type, message } } };
}

function validation(params: Record<string, string>): FakeAnswer {
  return {
    status: 400,
    body: {
      error: { type: 'validation_error', message: 'Parameter validation failed.', params },
      links: {
        documentation: 'https://globalping.io/docs/api.globalping.io#post-/v1/measurements',
      },
    },
  };
}
