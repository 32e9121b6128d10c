import { setTimeout as delay } from 'node:timers/promises';
import pLimit from 'p-limit';
import type { VantageConfig } from '../../config/vantage-schema.ts';
import { isEdgepurgeError, JobError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { VerifyTarget } from '../targets.ts';
import {
  createGlobalpingClient,
  type GlobalpingClient,
  type GlobalpingClientOptions,
  type HttpMeasurementRequest,
  type ProbeResultItem,
} from './globalping-client.ts';
import { judgeProbe, type VantageExpectation } from './judge-probe.ts';
import {
  locationReport,
  type ProbePlace,
  type VantageLocationReport,
  type VantageReport,
  type VantageUrlResult,
} from './vantage-report.ts';

export interface VantageOptions {
  readonly config: VantageConfig;
  /** What each measured URL must look like (selectVantageUrls, then the local report). */
  readonly expectations: readonly VantageExpectation[];
  /** How many of them are changed HTML, and how many the sample. */
  readonly counts: { readonly changedHtml: number; readonly sampled: number };
  /** `GLOBALPING_TOKEN`, when set. */
  readonly token?: string;
  /** Bound on each measurement, from its creation: `verify.timeoutSeconds`. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** Tests inject these (never a module mock). */
  readonly fetch?: GlobalpingClientOptions['fetch'];
  readonly sleep?: GlobalpingClientOptions['sleep'];
  readonly now?: () => number;
}

// Globalping's free tests an hour ("Limits and credits", https://api.globalping.io/v1/spec.yaml):
// per IP address without a token, per user with one (credits buy more).
const FREE_TESTS_WITHOUT_TOKEN = 250;
const FREE_TESTS_WITH_TOKEN = 500;

// Measurements in flight per location. Globalping limits tests an hour, not concurrency; a few
// at once keep a run short without a burst of hundreds of requests.
const PER_LOCATION = 4;

/**
 * Measures each URL from one probe per configured location and judges the answers against the
 * release. The first URL of a location picks its probe by `magic`; every other URL reuses that
 * measurement's id as `locations`, so one location is one probe for the whole run ("To perform
 * multiple measurements using exactly the same probes, create a single measurement first, then
 * pass its id in the locations field", POST /v1/measurements, client guidelines). Never throws
 * an expected error: a check that could not run is a failed report with `error`.
 */
export async function verifyVantage(options: VantageOptions): Promise<VantageReport> {
  const now = options.now ?? Date.now;
  const started = now();
  const { config, expectations } = options;
  const planned = expectations.length * config.locations.length;
  const sleep = options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
  const spent = { tests: 0 };
  const report = (
    locations: readonly VantageLocationReport[],
    error?: VantageReport['error'],
  ): VantageReport => ({
    provider: 'globalping',
    ok: error === undefined && locations.every((location) => location.ok),
    urls: expectations.map((e) => e.url),
    changedHtml: options.counts.changedHtml,
    sampled: options.counts.sampled,
    tests: spent.tests,
    locations,
    durationMs: now() - started,
    ...(error === undefined ? {} : { error }),
  });
  if (expectations.length === 0) return report([]);
  options.log.info(
    `vantage: ${expectations.length} URLs × ${config.locations.length} locations = ${planned} Globalping tests${options.token ? '' : ' (no GLOBALPING_TOKEN: 250 tests an hour per IP address)'}`,
  );
  const hourly = options.token ? FREE_TESTS_WITH_TOKEN : FREE_TESTS_WITHOUT_TOKEN;
  if (planned > hourly)
    options.log.warn(
      `vantage: ${planned} tests is more than Globalping's ${hourly} free tests an hour${options.token ? '' : ' without a token (GLOBALPING_TOKEN: 500)'}; the run will wait for the limit to reset, up to verify.vantage.maxWaitSeconds (or lower verify.vantage.sample)`,
    );
  const client = createGlobalpingClient({
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(options.token ? { token: options.token } : {}),
    signal: options.signal,
    maxWaitMs: config.maxWaitSeconds * 1000,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.sleep === undefined ? {} : { sleep: options.sleep }),
    now,
    onWait: (message) => options.log.info(message),
  });
  const ctx: LocationContext = {
    client,
    timeoutMs: options.timeoutMs,
    deadline: started + options.timeoutMs,
    now,
    sleep: (ms) => sleep(ms, options.signal),
    spent,
  };
  try {
    const locations = await Promise.all(
      config.locations.map((location) => measureLocation(ctx, location, expectations)),
    );
    for (const location of locations) {
      if (!location.ok)
        options.log.warn(
          `vantage: ${location.location}: ${location.error ?? `${location.stale} stale, ${location.failed} not measured`}`,
        );
    }
    return report(locations);
  } catch (error) {
    if (!isEdgepurgeError(error)) throw error;
    return report([], { code: error.code, message: error.message, hint: error.hint });
  }
}

/** What every location's measurements share: the client, the bounds, the count of tests. */
interface LocationContext {
  readonly client: GlobalpingClient;
  readonly timeoutMs: number;
  /** Stale URLs are measured again until fresh or this (the start + verify.timeoutSeconds). */
  readonly deadline: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Probe tests spent: what Globalping's hourly limit counts. */
  readonly spent: { tests: number };
}

// A stale answer is measured again after 2 s, doubling to 16 s, until the deadline: a purge may
// take a few seconds to reach every POP (the runner's edge is already fresh).
const FIRST_RETRY_MS = 2000;
const MAX_RETRY_MS = 16_000;

async function measureLocation(
  ctx: LocationContext,
  location: string,
  expectations: readonly VantageExpectation[],
): Promise<VantageLocationReport> {
  const [first, ...rest] = expectations as [VantageExpectation, ...VantageExpectation[]];
  let created: { id: string };
  try {
    created = await ctx.client.create(
      measurementRequest(first.finalUrl ?? first.url, [{ magic: location, limit: 1 }]),
    );
    ctx.spent.tests++;
  } catch (error) {
    // A location that matches no probe is this location's failure; anything else stops the run.
    if (error instanceof JobError && error.code === 'E_VANTAGE_NO_PROBES')
      return locationReport(location, [], undefined, `no probe found for "${location}"`);
    throw error;
  }
  const head = await settle(ctx, first, created.id);
  const probe = head.item?.probe;
  const place: ProbePlace | undefined =
    probe === undefined
      ? undefined
      : {
          continent: probe.continent,
          country: probe.country,
          city: probe.city,
          network: probe.network,
          ...(probe.asn === undefined ? {} : { asn: probe.asn }),
        };
  const limit = pLimit(PER_LOCATION);
  // Every other URL from the same probe: the first measurement's id as `locations`.
  const again = (expected: VantageExpectation) =>
    limit(async () => {
      const next = await ctx.client.create(
        measurementRequest(expected.finalUrl ?? expected.url, created.id),
      );
      ctx.spent.tests++;
      return (await settle(ctx, expected, next.id)).judged;
    });
  const results = [head.judged, ...(await Promise.all(rest.map(again)))];
  const attempts = results.map(() => 1);
  for (let wait = FIRST_RETRY_MS; ; wait = Math.min(wait * 2, MAX_RETRY_MS)) {
    const stale = results.flatMap((result, i) => (!result.fresh && !result.failed ? [i] : []));
    if (stale.length === 0 || ctx.now() + wait > ctx.deadline) break;
    await ctx.sleep(wait);
    await Promise.all(
      stale.map(async (i) => {
        const expected = expectations[i] as VantageExpectation;
        attempts[i] = (attempts[i] ?? 1) + 1;
        results[i] = { ...(await again(expected)), attempts: attempts[i] };
      }),
    );
  }
  return locationReport(location, results, place);
}

/** Waits for a measurement and judges its one probe's answer; a timeout is that URL's failure. */
async function settle(
  ctx: LocationContext,
  expected: VantageExpectation,
  id: string,
): Promise<{ judged: VantageUrlResult; item?: ProbeResultItem }> {
  try {
    const measurement = await ctx.client.result(id, ctx.now() + ctx.timeoutMs);
    const item = measurement.results[0];
    return { judged: judgeProbe(expected, item, id), ...(item === undefined ? {} : { item }) };
  } catch (error) {
    if (!(error instanceof JobError && error.code === 'E_VANTAGE_TIMEOUT')) throw error;
    return {
      judged: {
        url: expected.url,
        fresh: false,
        failed: true,
        method: 'status',
        reason: error.message,
        measurement: id,
      },
    };
  }
}

/** The HTTP measurement of one URL: GET, the URL's host as target, its scheme and port. */
export function measurementRequest(
  url: string,
  locations: HttpMeasurementRequest['locations'],
): HttpMeasurementRequest {
  const parsed = new URL(url);
  const https = parsed.protocol === 'https:';
  return {
    type: 'http',
    target: parsed.hostname.replace(/^\[|\]$/g, ''),
    locations,
    measurementOptions: {
      request: {
        method: 'GET',
        path: parsed.pathname,
        ...(parsed.search.length > 1 ? { query: parsed.search.slice(1) } : {}),
      },
      protocol: https ? 'HTTPS' : 'HTTP',
      port: parsed.port === '' ? (https ? 443 : 80) : Number(parsed.port),
    },
  };
}

/** The expectations of the chosen targets: the manifest's file and the runner's validators. */
export function expectationsFor(
  targets: readonly VerifyTarget[],
  files: Readonly<Record<string, { sha256: string; size: number; type: string }>>,
  local: ReadonlyMap<
    string,
    { finalUrl?: string; validators?: { etag?: string; lastModified?: string } }
  >,
): VantageExpectation[] {
  return targets.map((target) => {
    const entry = target.kind === 'serves' ? files[target.path] : undefined;
    const seen = local.get(target.url);
    const validators = seen?.validators;
    // Probes do not follow redirects: they ask where the runner's redirects ended.
    const finalUrl =
      seen?.finalUrl !== undefined && seen.finalUrl !== target.url ? seen.finalUrl : undefined;
    return {
      url: target.url,
      ...(finalUrl === undefined ? {} : { finalUrl }),
      kind: target.kind,
      ...(entry === undefined ? {} : { entry }),
      ...(validators === undefined ? {} : { local: validators }),
    };
  });
}
