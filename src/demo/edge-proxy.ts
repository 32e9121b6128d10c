import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Agent, createServer } from 'node:http';
import type { Socket } from 'node:net';
import CachePolicy from 'http-cache-semantics';
import { handleBan } from './ban-request.ts';
import { createEdgeCache } from './edge-cache.ts';
import { fetchOrigin, readBody } from './origin-fetch.ts';
import type { DemoServer } from './origin-server.ts';
import { listen } from './origin-server.ts';
import { NOT_FORWARDED_ON_FETCH, VIA, withoutHopByHop } from './proxy-headers.ts';
import { sendResponse } from './send-response.ts';

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
  const cache = createEdgeCache(ttlMs);
  const counters: EdgeStats = { hits: 0, misses: 0, revalidations: 0, purges: 0 };

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
    const object = cache.lookup(host, url);

    if (object !== undefined && cache.isFresh(object, request)) {
      counters.hits++;
      sendResponse(req, res, object.status, object.policy.responseHeaders(), object.body, 'HIT');
      return;
    }

    if (object !== undefined) {
      // The stored validators go to the origin: If-None-Match with the ETag the edge holds.
      const revalidationHeaders = object.policy.revalidationHeaders(request) as IncomingHttpHeaders;
      const answer = await fetchOrigin(origin, agent, 'GET', url, revalidationHeaders);
      const revalidated = object.policy.revalidatedPolicy(request, answer);
      if (answer.status === 304 && revalidated.matches) {
        counters.revalidations++;
        cache.store(host, url, object.status, object.body, revalidated.policy);
        sendResponse(
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
        cache.store(host, url, answer.status, answer.body, revalidated.policy);
        sendResponse(
          req,
          res,
          answer.status,
          revalidated.policy.responseHeaders(),
          answer.body,
          'MISS',
        );
        return;
      }
      // A 304 for validators the edge does not hold: fetch the object again, unconditionally.
    }

    const fetched = await fetchOrigin(origin, agent, 'GET', url, headers);
    const policy = new CachePolicy(request, fetched, { shared: true });
    counters.misses++;
    cache.store(host, url, fetched.status, fetched.body, policy);
    sendResponse(req, res, fetched.status, policy.responseHeaders(), fetched.body, 'MISS');
  }

  async function handleRequest(req: IncomingMessage, res: ServerResponse) {
    const host = (req.headers.host ?? '').toLowerCase();
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    if (method === 'PURGE') {
      counters.purges++;
      const purged = cache.purge(host, url) ? 1 : 0;
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
      origin,
      agent,
      method,
      url,
      withoutHopByHop(req.headers),
      await readBody(req),
    );
    sendResponse(req, res, answer.status, withoutHopByHop(answer.headers), answer.body, 'MISS');
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
      // BAN: see ban-request.ts.
      if (error.code === 'HPE_INVALID_METHOD' && error.rawPacket !== undefined) {
        handleBan(error.rawPacket, socket, {
          received: () => {
            counters.purges++;
          },
          ban: (host, prefix) => cache.ban(host, prefix),
        });
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
