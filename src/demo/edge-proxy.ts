import type {
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import CachePolicy from 'http-cache-semantics';
import type { DemoServer } from './origin-server.ts';
import { listen, matchesIfNoneMatch, notModifiedSince } from './origin-server.ts';

export interface EdgeOptions {
  /** Origin base URL, `http://host:port`. Requests keep their path and Host header. */
  origin: string;
  /**
   * How long objects stay in the cache (seconds, default 3600), like Varnish's `default_ttl` and
   * `keep`: responses without Cache-Control or Expires are served from cache that long, and stale
   * objects are kept that long so they can be revalidated with their stored validators.
   */
  defaultTtlSeconds?: number;
}

export interface EdgeStats {
  /** Answered from cache without asking the origin. */
  hits: number;
  /** Fetched in full from the origin. */
  misses: number;
  /** Stale objects the origin confirmed with 304: the stored body was served again. */
  revalidations: number;
  /** PURGE and BAN requests received. */
  purges: number;
}

export interface DemoEdge extends DemoServer {
  stats(): EdgeStats;
}

interface CachedObject {
  readonly host: string;
  /** Request target: path and query, as received. */
  readonly url: string;
  readonly status: number;
  readonly body: Buffer;
  readonly policy: CachePolicy;
  /** The origin said nothing about freshness, so the edge's own TTL applies. */
  readonly edgeTtl: boolean;
  readonly storedAt: number;
  readonly keepUntil: number;
}

interface OriginResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

type CacheStatus = 'HIT' | 'MISS' | 'REVALIDATED';

const VIA = '1.1 edgepurge-demo';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

// The edge fetches whole objects and answers the client's conditionals itself, as Varnish does.
// Client Cache-Control/Pragma are ignored too: builtin.vcl never reads them, so a visitor's
// "no-cache" cannot bypass the edge (https://varnish-cache.org/docs/trunk/users-guide/vcl-built-in-code.html).
const NOT_FORWARDED_ON_FETCH = new Set([
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
  'if-range',
  'range',
  'cache-control',
  'pragma',
]);

function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((token) => token.trim().toLowerCase());
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

function appendVia(existing: string | string[] | undefined): string {
  const prior = Array.isArray(existing) ? existing.join(', ') : existing;
  return prior ? `${prior}, ${VIA}` : VIA;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Parses `BAN /path HTTP/1.1` plus headers from a raw request head; undefined if incomplete. */
function parseRawHead(raw: Buffer): { method: string; headers: Map<string, string> } | undefined {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [requestLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { method: requestLine.split(' ')[0] ?? '', headers };
}

function rawJsonResponse(socket: Socket, status: string, payload: unknown): void {
  const body = `${JSON.stringify(payload)}\n`;
  socket.end(
    `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `via: ${VIA}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/**
 * Starts a caching reverse proxy in front of `opts.origin` that behaves like Varnish or a CDN:
 * a shared cache (http-cache-semantics) keyed by Host + path + query for GET and HEAD; fresh
 * objects are served without asking the origin; stale ones are revalidated with their *stored*
 * ETag / Last-Modified and, on a 304, the stored body is served again — which is how a changed
 * file with an unchanged ETag stays stale at the edge. Answers `PURGE <url>` with
 * `{"purged":0|1}` and `BAN` with header `X-Ban-Path: <prefix>` with `{"banned":n}` (per Host),
 * both 200 like Varnish. Responses carry `X-Cache: HIT|MISS|REVALIDATED`, `Age` and `Via`.
 * Bodies are buffered in memory, fine for a demo site.
 */
export async function startEdge(opts: EdgeOptions): Promise<DemoEdge> {
  const origin = new URL(opts.origin);
  const ttlMs = (opts.defaultTtlSeconds ?? 3600) * 1000;
  const agent = new Agent({ keepAlive: true });
  const cache = new Map<string, CachedObject>();
  const counters: EdgeStats = { hits: 0, misses: 0, revalidations: 0, purges: 0 };
  const keyOf = (host: string, url: string) => `${host}${url}`;

  function fetchOrigin(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
    body?: Buffer,
  ): Promise<OriginResponse> {
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        {
          protocol: origin.protocol,
          hostname: origin.hostname,
          port: origin.port,
          method,
          path: url,
          headers: { ...headers, via: appendVia(headers.via) },
          agent,
          timeout: 30_000,
        },
        (res) => {
          readBody(res).then(
            (buffer) =>
              resolve({ status: res.statusCode ?? 502, headers: res.headers, body: buffer }),
            reject,
          );
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error('origin timed out')));
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  function store(host: string, url: string, status: number, body: Buffer, policy: CachePolicy) {
    const key = keyOf(host, url);
    if (!policy.storable()) {
      cache.delete(key);
      return;
    }
    const headers = policy.responseHeaders();
    const now = Date.now();
    cache.set(key, {
      host,
      url,
      status,
      body,
      policy,
      edgeTtl: headers['cache-control'] === undefined && headers.expires === undefined,
      storedAt: now,
      keepUntil: now + Math.max(policy.timeToLive(), ttlMs),
    });
  }

  function isFresh(object: CachedObject, request: CachePolicy.Request): boolean {
    if (object.policy.satisfiesWithoutRevalidation(request)) return true;
    return object.edgeTtl && Date.now() - object.storedAt < ttlMs;
  }

  function send(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    headers: CachePolicy.Headers,
    body: Buffer,
    cacheStatus: CacheStatus,
  ): void {
    const out: OutgoingHttpHeaders = {
      ...headers,
      'x-cache': cacheStatus,
      via: appendVia(headers.via),
    };
    out.age ??= '0';
    const etag = firstValue(headers.etag);
    const lastModified = firstValue(headers['last-modified']);
    const ifNoneMatch = req.headers['if-none-match'];
    const ifModifiedSince = req.headers['if-modified-since'];
    const lastModifiedMs = lastModified === undefined ? Number.NaN : Date.parse(lastModified);
    const notModified =
      status === 200 &&
      (ifNoneMatch !== undefined
        ? matchesIfNoneMatch(ifNoneMatch, etag)
        : ifModifiedSince !== undefined &&
          Number.isFinite(lastModifiedMs) &&
          notModifiedSince(ifModifiedSince, lastModifiedMs));
    if (notModified) {
      for (const name of ['content-length', 'content-type', 'content-encoding', 'content-range']) {
        delete out[name];
      }
      res.writeHead(304, out);
      res.end();
      return;
    }
    const bodiless = status === 204 || status === 304 || status < 200;
    if (!bodiless) out['content-length'] = body.length;
    res.writeHead(status, out);
    res.end(req.method === 'HEAD' || bodiless ? undefined : body);
  }

  async function handleCacheable(
    req: IncomingMessage,
    res: ServerResponse,
    host: string,
    url: string,
  ) {
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(withoutHopByHop(req.headers))) {
      if (!NOT_FORWARDED_ON_FETCH.has(name)) headers[name] = value;
    }
    // Varnish fetches GET for a HEAD miss, so one object serves both.
    const request: CachePolicy.Request = { url, method: 'GET', headers };
    const key = keyOf(host, url);
    let object = cache.get(key);
    if (object !== undefined && Date.now() > object.keepUntil) {
      cache.delete(key);
      object = undefined;
    }

    if (object !== undefined && isFresh(object, request)) {
      counters.hits++;
      send(req, res, object.status, object.policy.responseHeaders(), object.body, 'HIT');
      return;
    }

    if (object !== undefined) {
      // The stored validators go to the origin: If-None-Match with the ETag the edge holds.
      const revalidationHeaders = object.policy.revalidationHeaders(request) as IncomingHttpHeaders;
      const answer = await fetchOrigin('GET', url, revalidationHeaders);
      const revalidated = object.policy.revalidatedPolicy(request, answer);
      if (answer.status === 304 && revalidated.matches) {
        counters.revalidations++;
        store(host, url, object.status, object.body, revalidated.policy);
        send(
          req,
          res,
          object.status,
          revalidated.policy.responseHeaders(),
          object.body,
          'REVALIDATED',
        );
        return;
      }
      if (answer.status !== 304) {
        counters.misses++;
        store(host, url, answer.status, answer.body, revalidated.policy);
        send(req, res, answer.status, revalidated.policy.responseHeaders(), answer.body, 'MISS');
        return;
      }
      // A 304 for validators the edge does not hold: fetch the object again, unconditionally.
    }

    const fetched = await fetchOrigin('GET', url, headers);
    const policy = new CachePolicy(request, fetched, { shared: true });
    counters.misses++;
    store(host, url, fetched.status, fetched.body, policy);
    send(req, res, fetched.status, policy.responseHeaders(), fetched.body, 'MISS');
  }

  async function handleRequest(req: IncomingMessage, res: ServerResponse) {
    const host = (req.headers.host ?? '').toLowerCase();
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    if (method === 'PURGE') {
      counters.purges++;
      const purged = cache.delete(keyOf(host, url)) ? 1 : 0;
      const body = `${JSON.stringify({ purged })}\n`;
      res.writeHead(200, { 'content-type': 'application/json', via: VIA });
      res.end(body);
      return;
    }
    if (method === 'GET' || method === 'HEAD') {
      await handleCacheable(req, res, host, url);
      return;
    }
    // Anything else passes through uncached.
    counters.misses++;
    const answer = await fetchOrigin(
      method,
      url,
      withoutHopByHop(req.headers),
      await readBody(req),
    );
    send(req, res, answer.status, withoutHopByHop(answer.headers), answer.body, 'MISS');
  }

  // Node's HTTP parser knows PURGE but not BAN, so BAN arrives as a parse error carrying the raw
  // request head. It is answered by hand and the connection closed.
  function handleBan(raw: Buffer, socket: Socket): void {
    const head = parseRawHead(raw);
    if (head?.method !== 'BAN') {
      rawJsonResponse(socket, '400 Bad Request', { error: 'malformed request' });
      return;
    }
    counters.purges++;
    const host = (head.headers.get('host') ?? '').toLowerCase();
    const prefix = head.headers.get('x-ban-path');
    if (prefix === undefined || prefix === '') {
      rawJsonResponse(socket, '400 Bad Request', { error: 'BAN needs an X-Ban-Path header' });
      return;
    }
    let banned = 0;
    for (const [key, object] of cache) {
      if (object.host === host && object.url.startsWith(prefix)) {
        cache.delete(key);
        banned++;
      }
    }
    rawJsonResponse(socket, '200 OK', { banned });
  }

  const server = createServer((req, res) => {
    handleRequest(req, res).catch(() => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body = 'Bad Gateway: the origin did not answer\n';
      res.writeHead(502, {
        'content-type': 'text/plain; charset=utf-8',
        'x-cache': 'MISS',
        via: VIA,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  server.on(
    'clientError',
    (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      if (error.code === 'HPE_INVALID_METHOD' && error.rawPacket !== undefined) {
        handleBan(error.rawPacket, socket);
        return;
      }
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    },
  );

  const listening = await listen(server, '127.0.0.1');
  return {
    url: listening.url,
    port: listening.port,
    stats: () => ({ ...counters }),
    close: async () => {
      await listening.close();
      agent.destroy();
    },
  };
}
