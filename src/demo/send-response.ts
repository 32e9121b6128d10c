/** The demo edge's answers to clients, which include answering their conditional requests. */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type CachePolicy from 'http-cache-semantics';
import { matchesIfNoneMatch, notModifiedSince } from './origin-server.ts';
import { appendVia } from './proxy-headers.ts';

export type CacheStatus = 'HIT' | 'MISS' | 'REVALIDATED';

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Answers `req` with a (cached or fetched) response, marked with `X-Cache`, `Age` and `Via`:
 * a 304 when the client's If-None-Match / If-Modified-Since match a 200, else the response itself.
 */
export function sendResponse(
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
