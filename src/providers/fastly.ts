import { z } from 'zod';
import { FASTLY_MAX_KEYS, fastlyRequests } from './fastly-requests.ts';
import { type SendContext, sendAll, sendOnce } from './fastly-send.ts';
import type { Provider, ProviderCapabilities, PurgeBatch, PurgeOutcome } from './provider.ts';
import { defineProvider, NAME_DESCRIPTION, SHIELD_SCHEMA } from './provider-definition.ts';

export { FASTLY_MAX_KEYS } from './fastly-requests.ts';

/** `providers[]` entries of type fastly. */
export const fastlySchema = z
  .strictObject({
    type: z.literal('fastly'),
    name: z.string().min(1).optional().describe(NAME_DESCRIPTION),
    serviceId: z.string().min(1).describe('The service ID. The token comes from FASTLY_API_TOKEN.'),
    soft: z
      .boolean()
      .default(false)
      .describe(
        'Purge softly wherever it is safe, whatever purge.mode says (purge.mode "soft" for this provider: an unchanged validator is still purged hard), and never purge_all (it cannot be soft).',
      ),
    shield: SHIELD_SCHEMA.optional(),
  })
  .describe('Fastly: URL purges through the API, surrogate keys, purge_all.');

export type FastlyConfig = z.output<typeof fastlySchema>;

/**
 * Fastly, defined once: FASTLY_API_TOKEN (FASTLY_API_URL points it elsewhere);
 * `purge --service-id ID [--soft]`.
 */
export const fastlyDefinition = defineProvider({
  type: 'fastly',
  schema: fastlySchema,
  secrets: [
    {
      env: 'FASTLY_API_TOKEN',
      hint: 'an API token with the purge_select scope (purge_all for everything)',
    },
  ],
  capabilities: (config) => fastlyCapabilities(config),
  create: (config, { secrets, env }) =>
    createFastlyProvider(config, {
      token: secrets.FASTLY_API_TOKEN ?? '',
      baseUrl: env.FASTLY_API_URL || undefined,
    }),
  purgeFlags: [
    {
      flag: 'service-id',
      key: 'serviceId',
      type: 'string',
      selects: true,
      usage: '--service-id ID',
    },
    { flag: 'soft', key: 'soft', type: 'boolean', usage: '--soft' },
  ],
});

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
    // "Single object, surrogate key, and bulk surrogate key purges all support soft purge"
    // with the request header Fastly-Soft-Purge: 1; "Purge-all requests cannot be done as a
    // soft purge" (https://docs.fastly.com/en/guides/purging-via-api, and
    // https://www.fastly.com/documentation/guides/full-site-delivery/purging/soft-purges).
    softKinds: ['urls', 'tags'],
    ...(config.soft ? { mode: 'soft' as const } : {}),
    // No token bucket: "Surrogate key and URL purge requests are also not limited, but purge
    // all requests count against the per-hour rate limit" of 1,000 (https://docs.fastly.com/api/).
    // A 429 is still honoured (retryAfterMs), and purge_all's Fastly-RateLimit-Remaining: 0
    // pauses the provider (pauseMs).
  };
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
