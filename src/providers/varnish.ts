import pLimit from 'p-limit';
import { Agent, request } from 'undici';
import type { VarnishConfig } from '../config/schema.ts';
import type { Provider, PurgeBatch, PurgeOutcome } from './provider.ts';
import { PurgeError } from './purge-error.ts';

/**
 * Varnish speaks the methods of examples/varnish/edgepurge.vcl: `PURGE <path>` with the public
 * Host evicts one object, `BAN` with `X-Ban-Path` evicts a prefix, `PURGE` with `xkey-purge`
 * evicts tagged objects. Every request goes to every endpoint: each node of a fleet keeps its
 * own copy.
 */
export function createVarnishProvider(config: VarnishConfig, agent = new Agent()): Provider {
  const endpoints = config.endpoints.map((endpoint) => endpoint.replace(/\/+$/, ''));
  const limits = new Map(endpoints.map((endpoint) => [endpoint, pLimit(config.concurrency)]));
  const timeoutMs = config.timeoutSeconds * 1000;

  const send = (endpoint: string, init: VarnishRequest, signal: AbortSignal) =>
    (limits.get(endpoint) as ReturnType<typeof pLimit>)(() =>
      sendOnce(agent, endpoint, init, timeoutMs, signal),
    );

  return {
    name: config.name ?? 'varnish',
    type: 'varnish',
    capabilities: {
      // Each URL is its own PURGE; a batch of 50 keeps journal entries and progress readable.
      maxUrlsPerRequest: 50,
      maxPrefixesPerRequest: 50,
      maxTagsPerRequest: 50,
      maxHostsPerRequest: 50,
      everything: true,
      // Batches in flight; requests per node are bounded by `concurrency` from the config.
      concurrency: 4,
    },
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
      await agent.close();
    },
    async purge(batch: PurgeBatch, signal: AbortSignal): Promise<PurgeOutcome> {
      const requests = toRequests(batch, config.banHeader);
      await Promise.all(
        endpoints.flatMap((endpoint) => requests.map((init) => send(endpoint, init, signal))),
      );
      return { requests: requests.length * endpoints.length };
    },
  };
}

interface VarnishRequest {
  readonly method: 'PURGE' | 'BAN';
  readonly path: string;
  readonly host: string;
  readonly headers?: Record<string, string>;
  /** What the failure message names: the URL, prefix or tags. */
  readonly target: string;
}

function toRequests(batch: PurgeBatch, banHeader: string): VarnishRequest[] {
  switch (batch.kind) {
    case 'urls':
      return batch.urls.map((raw) => {
        const url = new URL(raw);
        return {
          method: 'PURGE',
          path: `${url.pathname}${url.search}`,
          host: url.host,
          target: raw,
        };
      });
    case 'prefixes':
      return batch.prefixes.map((prefix) => {
        const slash = prefix.indexOf('/');
        const host = slash === -1 ? prefix : prefix.slice(0, slash);
        const path = slash === -1 ? '/' : prefix.slice(slash);
        return { method: 'BAN', path: '/', host, headers: { [banHeader]: path }, target: prefix };
      });
    case 'tags':
      // xkey has no host scope: a tag names objects on every host of the node.
      return [
        {
          method: 'PURGE',
          path: '/',
          host: 'localhost',
          headers: { 'xkey-purge': batch.tags.join(' ') },
          target: `tags ${batch.tags.join(' ')}`,
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
  agent: Agent,
  endpoint: string,
  init: VarnishRequest,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  let status: number;
  try {
    const response = await request(`${endpoint}${init.path}`, {
      dispatcher: agent,
      method: init.method,
      headers: { host: init.host, ...init.headers },
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    status = response.statusCode;
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
