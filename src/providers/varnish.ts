import pLimit from 'p-limit';
import type { Agent } from 'undici';
import { z } from 'zod';
import { urlProblem } from '../config/url-problem.ts';
import { RETRYABLE_KINDS } from '../purge/retry-policy.ts';
import type {
  Provider,
  ProviderCapabilities,
  PurgeAttempt,
  PurgeBatch,
  PurgeOutcome,
} from './provider.ts';
import { defineProvider, NAME_DESCRIPTION, SHIELD_SCHEMA } from './provider-definition.ts';
import { batchFailure, PurgeError, parseRetryAfter, type RequestFailure } from './purge-error.ts';

/** A Varnish node: scheme://host[:port] and nothing more (a path would prefix every purge). */
const endpointUrl = z.string().superRefine((value, ctx) => {
  const problem =
    urlProblem(value, 'URL of a Varnish node, e.g. http://127.0.0.1:6081') ??
    (new URL(value).pathname === '/'
      ? undefined
      : `has the path ${new URL(value).pathname}, which would be put before every purged path: give only scheme://host[:port]`);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** `providers[]` entries of type varnish. */
export const varnishSchema = z
  .strictObject({
    type: z.literal('varnish'),
    name: z.string().min(1).optional().describe(NAME_DESCRIPTION),
    endpoints: z
      .array(endpointUrl)
      .min(1)
      .describe(
        'Every Varnish node to purge (http://host:port). PURGE and BAN go to each of them.',
      ),
    concurrency: z.int().min(1).max(256).default(8).describe('Requests in flight per endpoint.'),
    banHeader: z
      .string()
      .min(1)
      .default('X-Ban-Path')
      .describe('Header carrying the path prefix of a BAN (see examples/varnish/edgepurge.vcl).'),
    timeoutSeconds: z.number().positive().max(300).default(10).describe('Per-request timeout.'),
    softPurge: z
      .boolean()
      .default(false)
      .describe(
        'The VCL soft-purges (examples/varnish/edgepurge.vcl does): PURGE with X-Purge-Soft: 1 and xkey-softpurge mark objects stale instead of evicting them, where purge.mode allows.',
      ),
    shield: SHIELD_SCHEMA.optional(),
  })
  .describe('Varnish: PURGE per URL, BAN for prefixes, xkey for tags.');

export type VarnishConfig = z.output<typeof varnishSchema>;

/** Varnish, defined once: no credentials (the VCL's ACL guards it); `purge --endpoint URL…`. */
export const varnishDefinition = defineProvider({
  type: 'varnish',
  schema: varnishSchema,
  secrets: [],
  capabilities: (config) => varnishCapabilities(config),
  create: (config) => createVarnishProvider(config),
  purgeFlags: [
    {
      flag: 'endpoint',
      key: 'endpoints',
      type: 'string',
      multiple: true,
      selects: true,
      usage: '--endpoint URL…',
    },
  ],
});

const VARNISH_CAPABILITIES: ProviderCapabilities = {
  // Each URL is its own PURGE; a batch of 50 keeps journal entries and progress readable.
  maxUrlsPerRequest: 50,
  maxPrefixesPerRequest: 50,
  maxTagsPerRequest: 50,
  maxHostsPerRequest: 50,
  everything: true,
  // Batches in flight; requests per node are bounded by `concurrency` from the config.
  concurrency: 4,
};

/**
 * What a Varnish provider can do. Soft purges only where the VCL says it has them
 * (`softPurge`): a URL (vmod purge's `purge.soft()`) and xkey tags (`xkey.softpurge`); a BAN
 * cannot be soft, so prefixes and hosts stay hard.
 */
export function varnishCapabilities(
  config: Pick<VarnishConfig, 'softPurge'>,
): ProviderCapabilities {
  return config.softPurge
    ? { ...VARNISH_CAPABILITIES, softKinds: ['urls', 'tags'] }
    : VARNISH_CAPABILITIES;
}

/** undici loads at the first request, not when a plan only needs the capabilities. */
type Undici = typeof import('undici');

/**
 * Varnish speaks the methods of examples/varnish/edgepurge.vcl: `PURGE <path>` with the public
 * Host evicts one object, `BAN` with `X-Ban-Path` evicts a prefix, `PURGE` with `xkey-purge`
 * evicts tagged objects; a soft batch (`mode: 'soft'`) adds `X-Purge-Soft: 1` to a URL's PURGE
 * and sends tags in `xkey-softpurge`, which mark objects stale instead. Every request goes to
 * every endpoint: each node of a fleet keeps its own copy.
 */
export function createVarnishProvider(config: VarnishConfig, agent?: Agent): Provider {
  const endpoints = config.endpoints.map((endpoint) => endpoint.replace(/\/+$/, ''));
  const limits = new Map(endpoints.map((endpoint) => [endpoint, pLimit(config.concurrency)]));
  const timeoutMs = config.timeoutSeconds * 1000;
  let transport: Promise<{ undici: Undici; agent: Agent }> | undefined;
  const connect = () => {
    transport ??= import('undici').then((undici) => ({
      undici,
      agent: agent ?? new undici.Agent(),
    }));
    return transport;
  };

  /** Sends one request to one node, unless the batch was halted while it queued. */
  const send = (
    endpoint: string,
    init: VarnishRequest,
    signal: AbortSignal,
    halted: () => boolean,
  ): Promise<'sent' | 'skipped'> =>
    (limits.get(endpoint) as ReturnType<typeof pLimit>)(async () => {
      if (halted() || signal.aborted) return 'skipped';
      await sendOnce(await connect(), endpoint, init, timeoutMs, signal);
      return 'sent';
    });

  return {
    name: config.name ?? 'varnish',
    type: 'varnish',
    capabilities: varnishCapabilities(config),
    describe(batch: PurgeBatch): string[] {
      const requests = toRequests(batch, config.banHeader);
      return endpoints.flatMap((endpoint) =>
        requests.map((init) => {
          const extra = Object.entries(init.headers ?? {}).map(
            ([name, value]) => ` ${name}: ${value}`,
          );
          return `${init.method} ${endpoint}${init.path} Host: ${init.host}${extra.join('')}`;
        }),
      );
    },
    async close() {
      if (transport !== undefined) await (await transport).agent.close();
      else await agent?.close();
    },
    /**
     * Every request to every node, each on its own: a target is accepted when every node
     * accepted its request. When any failed, the error names the accepted targets and each
     * failed request (node and target), so the executor retries only those. A refusal no
     * retry cures (a node down, a 405) stops requests not yet started.
     */
    async purge(
      batch: PurgeBatch,
      signal: AbortSignal,
      attempt?: PurgeAttempt,
    ): Promise<PurgeOutcome> {
      const requests = toRequests(batch, config.banHeader);
      const before = attempt?.accepted;
      const failures: RequestFailure[] = [];
      // Per request, the nodes that took it: now, or in an earlier try of this batch.
      const tookIt = new Map<VarnishRequest, string[]>(requests.map((init) => [init, []]));
      let unexpected: { error: unknown } | undefined;
      let halted = false;
      let sent = 0;
      await Promise.all(
        endpoints.flatMap((endpoint) =>
          requests.map(async (init) => {
            const key = requestKey(endpoint, init);
            // Accepted by this node in an earlier try: a PURGE is not sent twice to a node.
            if (before?.has(key)) {
              tookIt.get(init)?.push(key);
              return;
            }
            try {
              if ((await send(endpoint, init, signal, () => halted)) === 'skipped') return;
              sent += 1;
              tookIt.get(init)?.push(key);
            } catch (error) {
              sent += 1;
              if (!(error instanceof PurgeError)) {
                unexpected ??= { error };
                halted = true;
                return;
              }
              failures.push({ targets: init.targets, error });
              if (!RETRYABLE_KINDS.has(error.kind)) halted = true;
            }
          }),
        ),
      );
      if (unexpected !== undefined) throw unexpected.error;
      // Cancelled with requests unsent: not a success, whatever was sent.
      signal.throwIfAborted();
      const whole = requests.filter((init) => tookIt.get(init)?.length === endpoints.length);
      if (whole.length < requests.length) {
        // A target is accepted once every node took its request; what some nodes took of the
        // others is handed back to the retry.
        const partly = requests.filter((init) => !whole.includes(init));
        const acceptedRequests = partly.flatMap((init) => tookIt.get(init) ?? []);
        const accepted = whole.flatMap((init) => init.targets);
        throw batchFailure(failures, accepted, sent, acceptedRequests);
      }
      return { requests: sent };
    },
  };
}

/** Names one request to one node, for PurgeAttempt.accepted. */
function requestKey(endpoint: string, init: VarnishRequest): string {
  return JSON.stringify([endpoint, init.method, init.host, init.path, init.headers ?? {}]);
}

interface VarnishRequest {
  readonly method: 'PURGE' | 'BAN';
  readonly path: string;
  readonly host: string;
  readonly headers?: Record<string, string>;
  /** What the failure message names: the URL, prefix or tags. */
  readonly target: string;
  /** The batch's targets (batchTargets) this request purges: what it accepts or fails. */
  readonly targets: readonly string[];
}

function toRequests(batch: PurgeBatch, banHeader: string): VarnishRequest[] {
  // A soft batch is only planned where the config says the VCL has soft purges (softPurge).
  const soft = batch.mode === 'soft';
  switch (batch.kind) {
    case 'urls':
      return batch.urls.map((raw) => {
        const url = new URL(raw);
        return {
          method: 'PURGE',
          path: `${url.pathname}${url.search}`,
          host: url.host,
          ...(soft ? { headers: { 'X-Purge-Soft': '1' } } : {}),
          target: raw,
          targets: [raw],
        };
      });
    case 'prefixes':
      return batch.prefixes.map((prefix) => {
        const slash = prefix.indexOf('/');
        const host = slash === -1 ? prefix : prefix.slice(0, slash);
        const path = slash === -1 ? '/' : prefix.slice(slash);
        return {
          method: 'BAN',
          path: '/',
          host,
          headers: { [banHeader]: path },
          target: prefix,
          targets: [prefix],
        };
      });
    case 'tags':
      // xkey has no host scope: a tag names objects on every host of the node.
      return [
        {
          method: 'PURGE',
          path: '/',
          host: 'localhost',
          headers: { [soft ? 'xkey-softpurge' : 'xkey-purge']: batch.tags.join(' ') },
          target: `tags ${batch.tags.join(' ')}`,
          targets: batch.tags,
        },
      ];
    case 'hosts':
    case 'everything':
      return batch.hosts.map((host) => ({
        method: 'BAN',
        path: '/',
        host,
        headers: { [banHeader]: '/' },
        target: `everything on ${host}`,
        // An everything batch is one target ('*'): it is accepted when every host is.
        targets: batch.kind === 'hosts' ? [host] : ['*'],
      }));
  }
}

/** Network error codes that mean the node did not answer in time. */
const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'TimeoutError',
]);

/** One request to one node, once; the executor decides about retries from the PurgeError. */
async function sendOnce(
  { undici, agent }: { undici: Undici; agent: Agent },
  endpoint: string,
  init: VarnishRequest,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  let status: number;
  let retryAfter: string | undefined;
  try {
    const response = await undici.request(`${endpoint}${init.path}`, {
      dispatcher: agent,
      method: init.method,
      headers: { host: init.host, ...init.headers },
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    status = response.statusCode;
    const header = response.headers['retry-after'];
    retryAfter = Array.isArray(header) ? header[0] : header;
    await response.body.dump();
  } catch (error) {
    if (signal.aborted) throw error;
    const code = errorCode(error);
    throw new PurgeError(
      'E_VARNISH_UNREACHABLE',
      `varnish ${endpoint}: ${init.method} ${init.target} failed: ${code}`,
      {
        // Nothing listening is a node down or a wrong endpoint: fail now, naming it. A reset
        // or a timeout may be a node under load: worth another try.
        kind: code === 'ECONNREFUSED' ? 'refused' : TIMEOUT_CODES.has(code) ? 'timeout' : 'network',
        at: endpoint,
        hint: 'check that the node is up and the endpoint URL is right',
        cause: error,
      },
    );
  }
  if (status >= 200 && status < 300) return;
  if (status === 429) {
    // A node (or a throttle in front of it, e.g. vmod vsthrottle) says slow down: wait for its
    // Retry-After (RFC 9110 10.2.3), bounded by purge.maxWaitSeconds.
    throw new PurgeError(
      'E_VARNISH_RATE_LIMIT',
      `varnish ${endpoint}: ${init.method} ${init.target} answered 429`,
      {
        kind: 'rate-limit',
        status,
        at: endpoint,
        retryAfterMs: parseRetryAfter(retryAfter),
        hint: 'the node limits purge requests; lower "concurrency" for this provider',
      },
    );
  }
  throw new PurgeError(
    'E_VARNISH_PURGE',
    `varnish ${endpoint}: ${init.method} ${init.target} answered ${status}`,
    {
      // A 5xx may be a node restarting; a 4xx answers the same on every try.
      kind: status >= 500 ? 'server' : status === 405 || status === 403 ? 'auth' : 'invalid',
      status,
      at: endpoint,
      hint:
        status === 405 || status === 403
          ? 'load examples/varnish/edgepurge.vcl and add this host to its "purgers" ACL'
          : 'see the Varnish log (varnishlog -g request -q "ReqMethod ~ PURGE|BAN")',
    },
  );
}

function errorCode(error: unknown): string {
  const err = error as { code?: string; cause?: { code?: string }; name?: string };
  return err.cause?.code ?? err.code ?? err.name ?? String(error);
}
