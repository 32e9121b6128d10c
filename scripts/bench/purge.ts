/**
 * Purge benchmark: 10,000 changed URLs planned by `planPurges` and executed by `executePlan`
 * through the Cloudflare provider (the official SDK over real loopback HTTP) against the fake
 * Cloudflare API, on the Free plan. The fake enforces the Free plan's purge budget as Cloudflare
 * does, answering 429 with Retry-After when a request finds the bucket empty.
 *
 * The budget allows 5 requests per minute after a burst of 25: the best possible run takes
 * (334 − 25) × 12 s ≈ 62 minutes. Executor and fake therefore share one virtual clock whose
 * sleeps advance at once, so the run measures the pacing, not the wait. A second run without
 * pacing (the provider's rate budget dropped) shows what the pacing saves.
 */
import type { CloudflareConfig } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/log.ts';
import type { ManifestDiff } from '../../src/manifest/diff-manifests.ts';
import { type PurgePlan, planPurges } from '../../src/plan/plan-purges.ts';
import { createCloudflareProvider } from '../../src/providers/cloudflare.ts';
import type { Provider, RateBudget } from '../../src/providers/provider.ts';
import type { Clock } from '../../src/purge/clock.ts';
import { executePlan, type PurgeSummary } from '../../src/purge/execute-plan.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../src/purge/retry-policy.ts';
import { startFakeCloudflare } from '../../test/support/fake-cloudflare.ts';
import type { FakeAnswer, FakeRequest } from '../../test/support/fake-http.ts';
import { fakeClock } from '../../test/support/memory-provider.ts';

const URLS = 10_000;
const TOKEN = 'bench-token-5e2c81f0a94d3b67';
const ZONE = '0123456789abcdef0123456789abcdef';
const BASE_URL = 'https://www.example.com';

const GOALS = {
  /** Virtual time may exceed the budget's best time by this fraction. */
  virtualSlack: 0.05,
  /** "A few seconds" of real time for the whole paced run. */
  realSeconds: 5,
};

// The default policy with real backoffs of 1–2 ms, doubling: p-retry sleeps on real timers (not
// the injected clock), and the default 500 ms minimum would make the unpaced run's hundreds of
// retries dominate the real time. Retry-After waits still go through the virtual clock.
const RETRY: RetryPolicy = { ...DEFAULT_RETRY_POLICY, minDelayMs: 1 };

interface Outcome {
  readonly plan: PurgePlan;
  readonly summary: PurgeSummary;
  /** 429s the fake answered (the executor's count omits a batch's last, failing attempt). */
  readonly refused: number;
  /** Distinct URLs the fake accepted. */
  readonly purged: number;
  readonly virtualMs: number;
  readonly realMs: number;
  readonly cpuMs: number;
}

export async function run(): Promise<void> {
  const paced = await scenario((provider) => provider);
  const unpaced = await scenario(withoutPacing);
  const entry = paced.plan.providers[0];
  const rate = cloudflare().capabilities.rate as RateBudget;
  const lowerBound = entry?.lowerBound ?? 0;
  const bestMs = Math.max(0, lowerBound - rate.burst) * Math.round(1000 / rate.perSecond);

  console.log(
    `${URLS} URLs, Cloudflare Free (${rate.burst} burst, ${rate.perSecond * 60}/min), ` +
      `node ${process.version}; plan: ${entry?.requests} requests (lower bound ${lowerBound}), ` +
      `budget's best time (${lowerBound} − ${rate.burst}) × ${Math.round(1 / rate.perSecond)} s = ` +
      `${seconds(bestMs)} (${minutes(bestMs)}; planner's minSeconds ${entry?.minSeconds} s)`,
  );
  console.log(
    '\nscenario   requests  429s  retries  failed  URLs purged  virtual time   real   CPU',
  );
  row('paced', paced);
  row('unpaced', unpaced);
  // Without pacing, the executor's pause on each Retry-After still spaces the requests, so the
  // unpaced run takes about as long: what pacing saves is the refused requests, and the batches
  // that run out of retries while others win the freed tokens.
  console.log(
    `pacing saves ${unpaced.refused} 429s and ${unpaced.summary.requests - paced.summary.requests} ` +
      `requests; unpaced, ${unpaced.summary.failed.length} batches ran out of retries ` +
      `(${URLS - unpaced.purged} URLs left stale), virtual time ` +
      `${seconds(unpaced.virtualMs)} against ${seconds(paced.virtualMs)} paced`,
  );
  console.log(
    `429s as the executor counts them (summary.rateLimited): paced ${paced.summary.rateLimited}, ` +
      `unpaced ${unpaced.summary.rateLimited}`,
  );
  console.log('\ngoal (paced run)                            result       goal');
  goal(
    'requests sent',
    String(paced.summary.requests),
    `=${lowerBound}`,
    paced.summary.requests === lowerBound,
  );
  goal('429s met', String(paced.refused), '0', paced.refused === 0);
  goal(
    'virtual time / budget best time',
    `${(paced.virtualMs / bestMs).toFixed(4)}×`,
    `≤${(1 + GOALS.virtualSlack).toFixed(2)}×`,
    paced.virtualMs <= bestMs * (1 + GOALS.virtualSlack),
  );
  goal(
    'real wall time',
    `${(paced.realMs / 1000).toFixed(2)} s`,
    `<${GOALS.realSeconds} s`,
    paced.realMs < GOALS.realSeconds * 1000,
  );
  goal(
    'URLs the fake accepted',
    String(paced.purged),
    `=${URLS}`,
    paced.purged === URLS && paced.summary.failed.length === 0,
  );
}

/** One run on a fresh fake and a fresh virtual clock; `wrap` decides the provider's pacing. */
async function scenario(wrap: (provider: Provider) => Provider): Promise<Outcome> {
  const clock = fakeClock(0);
  const fake = await startFakeCloudflare({ token: TOKEN, zoneId: ZONE });
  try {
    const limiter = freePlanLimiter(clock);
    fake.server.faults = limiter.faults;
    const provider = wrap(cloudflare(fake.url));
    const plan = planPurges(changedFiles(URLS), [provider], {
      baseUrl: BASE_URL,
      urls: { cleanUrls: false, basePath: '/' },
    });
    const cpu = process.cpuUsage();
    const start = performance.now();
    const virtualStart = clock.now();
    const summary = await executePlan(plan, [provider], {
      signal: new AbortController().signal,
      log: silentLogger,
      clock,
      retry: RETRY,
    });
    const realMs = performance.now() - start;
    const used = process.cpuUsage(cpu);
    return {
      plan,
      summary,
      refused: limiter.refused(),
      purged: new Set(fake.purged().files).size,
      virtualMs: clock.now() - virtualStart,
      realMs,
      // The fake runs in this process: its share of the CPU is included.
      cpuMs: (used.user + used.system) / 1000,
    };
  } finally {
    await fake.server.close();
  }
}

function cloudflare(baseURL?: string): Provider {
  const config: CloudflareConfig = { type: 'cloudflare', zoneId: ZONE, plan: 'free' };
  return createCloudflareProvider(config, { token: TOKEN, baseURL });
}

/** The same provider with no rate budget: the executor sends as fast as concurrency allows. */
function withoutPacing(provider: Provider): Provider {
  const { rate: _dropped, ...capabilities } = provider.capabilities;
  return { ...provider, capabilities };
}

/**
 * A diff of `count` changed files at the site's root. The root is never a prefix purge (the host
 * may serve more than the site), so the plan is URL purges only, 30 to a request.
 */
function changedFiles(count: number): ManifestDiff {
  const width = String(count - 1).length;
  const changed = Array.from(
    { length: count },
    (_, i) => `page-${String(i).padStart(width, '0')}.css`,
  );
  return { added: [], changed, removed: [], unchanged: 0, hazards: [] };
}

/**
 * Cloudflare's Free-plan purge budget on `clock`: "5 requests per minute, bucket size 25",
 * applied as a token bucket (developers.cloudflare.com/cache/how-to/purge-cache/, "Availability
 * and limits"). Kept as GCRA in whole milliseconds, the exact form of that bucket, so float
 * rounding never refuses a request the bucket would take. A refused request spends nothing and
 * is answered 429 with `retry-after` in seconds, rounded up
 * (developers.cloudflare.com/fundamentals/api/reference/limits/, "Rate limiting headers").
 */
function freePlanLimiter(clock: Clock): {
  faults: (request: FakeRequest) => FakeAnswer | undefined;
  refused: () => number;
} {
  const intervalMs = 12_000; // 60 s / 5 requests
  const burst = 25;
  const toleranceMs = (burst - 1) * intervalMs;
  let theoretical = clock.now();
  let refused = 0;
  return {
    faults: () => {
      const now = clock.now();
      const next = Math.max(theoretical, now);
      const early = next - now - toleranceMs;
      if (early <= 0) {
        theoretical = next + intervalMs;
        return undefined; // the API's own handler answers
      }
      refused += 1;
      return {
        status: 429,
        headers: { 'retry-after': String(Math.ceil(early / 1000)) },
        // The code Cloudflare's API limiter answers with (971); the purge limiter's own code is
        // not published, and the provider reads only the status and Retry-After.
        body: {
          success: false,
          errors: [
            { code: 971, message: 'Please wait and consider throttling your request speed' },
          ],
          messages: [],
          result: null,
        },
      };
    },
    refused: () => refused,
  };
}

// ---- output --------------------------------------------------------------------------------

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function minutes(ms: number): string {
  return `${(ms / 60_000).toFixed(1)} min`;
}

function row(label: string, outcome: Outcome): void {
  const { summary } = outcome;
  console.log(
    `${label.padEnd(9)} ${String(summary.requests).padStart(9)} ${String(outcome.refused).padStart(5)} ` +
      `${String(summary.retries).padStart(8)} ${String(summary.failed.length).padStart(7)} ` +
      `${String(outcome.purged).padStart(12)} ${minutes(outcome.virtualMs).padStart(13)} ` +
      `${(outcome.realMs / 1000).toFixed(2).padStart(5)} s ${(outcome.cpuMs / 1000).toFixed(2).padStart(4)} s`,
  );
}

function goal(label: string, result: string, target: string, pass: boolean): void {
  console.log(
    `${label.padEnd(43)} ${result.padStart(7)}  ${target.padEnd(10)} ${pass ? 'PASS' : 'MISS'}`,
  );
}
