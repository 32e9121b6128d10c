import { z } from 'zod';
import type { createCloudflareClient, send } from './cloudflare-client.ts';
import {
  FLEX_ITEMS_PER_REQUEST,
  headerCombinations,
  type PurgeRequest,
  toRequests,
} from './cloudflare-requests.ts';
import type { Provider, ProviderCapabilities, PurgeBatch, PurgeOutcome } from './provider.ts';
import { defineProvider, NAME_DESCRIPTION, SHIELD_SCHEMA } from './provider-definition.ts';
import { PurgeError } from './purge-error.ts';

// Limits from developers.cloudflare.com/cache/how-to/purge-cache/#availability-and-limits:
// single-file purge takes 100 URLs per request (500 on Enterprise), but 30 is still enforced in
// the field (jakejarvis/cloudflare-purge-action#4, Cloudflare-WordPress #236), so the default
// outside Enterprise is 30.
/** `providers[]` entries of type cloudflare. */
export const cloudflareSchema = z
  .strictObject({
    type: z.literal('cloudflare'),
    name: z.string().min(1).optional().describe(NAME_DESCRIPTION),
    zoneId: z
      .string()
      .regex(/^[0-9a-f]{32}$/, 'must be the 32-hex-digit zone ID (Overview page of the zone)')
      .describe('The zone ID. The token comes from CLOUDFLARE_API_TOKEN.'),
    plan: z
      .enum(['free', 'pro', 'business', 'enterprise'])
      .default('free')
      .describe('Sets batch sizes and the purge rate budget (shared by the whole account).'),
    maxUrlsPerRequest: z
      .int()
      .min(1)
      .max(500)
      .optional()
      .describe('URLs per purge request (default 30; 500 on Enterprise).'),
    cacheKeyHeaders: z
      .record(z.string().min(1), z.array(z.string()).min(1))
      .optional()
      .describe(
        'Request headers in the cache key, e.g. {"CF-Device-Type": ["mobile","desktop","tablet"]}: each URL is purged once per value.',
      ),
    shield: SHIELD_SCHEMA.optional(),
  })
  .describe('Cloudflare: the official SDK, client.cache.purge.');

export type CloudflareConfig = z.output<typeof cloudflareSchema>;

/**
 * Cloudflare, defined once: CLOUDFLARE_API_TOKEN (CLOUDFLARE_BASE_URL points the SDK
 * elsewhere); `purge --zone-id ID [--plan PLAN]`.
 */
export const cloudflareDefinition = defineProvider({
  type: 'cloudflare',
  schema: cloudflareSchema,
  secrets: [
    {
      env: 'CLOUDFLARE_API_TOKEN',
      hint: 'an API token with Zone › Cache Purge permission',
    },
  ],
  capabilities: (config) => cloudflareCapabilities(config),
  checkPrefix: (prefix) => checkCloudflarePrefix(prefix),
  create: (config, { secrets, env }) =>
    createCloudflareProvider(config, {
      token: secrets.CLOUDFLARE_API_TOKEN ?? '',
      baseURL: env.CLOUDFLARE_BASE_URL || undefined,
    }),
  purgeFlags: [
    { flag: 'zone-id', key: 'zoneId', type: 'string', selects: true, usage: '--zone-id ID' },
    { flag: 'plan', key: 'plan', type: 'string', usage: '--plan PLAN' },
  ],
});

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

const PLAN_RATE: Record<CloudflareConfig['plan'], { perSecond: number; burst: number }> = {
  // "The current purge limits are applied per account" as a token bucket: Free 5 requests per
  // minute (bucket 25), Pro 5/s (25), Business 10/s (50), Enterprise 50/s (500).
  free: { perSecond: 5 / 60, burst: 25 },
  pro: { perSecond: 5, burst: 25 },
  business: { perSecond: 10, burst: 50 },
  enterprise: { perSecond: 50, burst: 500 },
};

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
    // No softKinds: purge_cache documents no soft purge (files, tags, hosts, prefixes and
    // purge_everything all remove the content: https://developers.cloudflare.com/api/resources/cache/methods/purge/),
    // so every Cloudflare entry is hard, with the reason `no-soft`.
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

interface Connection {
  readonly client: ReturnType<typeof createCloudflareClient>;
  readonly send: typeof send;
}

/** A provider that purges one zone through `client.cache.purge`. */
export function createCloudflareProvider(
  config: CloudflareConfig,
  options: CloudflareOptions,
): Provider {
  // The SDK loads at the first purge (cloudflare-client.ts), once per provider; planning and
  // describe() need only the batch arithmetic below.
  let connection: Promise<Connection> | undefined;
  const connect = (): Promise<Connection> => {
    connection ??= import('./cloudflare-client.ts').then(({ createCloudflareClient, send }) => ({
      client: createCloudflareClient(options),
      send,
    }));
    return connection;
  };
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
      const { client, send } = await connect();
      for (const request of requests) {
        await send(client, request, { zoneId, at, token: options.token }, signal);
      }
      return { requests: requests.length };
    },
    describe(batch: PurgeBatch): readonly string[] {
      return requestsFor(batch).map((request) => `${at} ${request.summary}`);
    },
    checkPrefix: checkCloudflarePrefix,
  };
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
