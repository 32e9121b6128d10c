/** Header handling shared by the demo edge's requests to the origin and answers to clients. */
import type { IncomingHttpHeaders } from 'node:http';

export const VIA = '1.1 edgepurge-demo';

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
export const NOT_FORWARDED_ON_FETCH = new Set([
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
  'if-range',
  'range',
  'cache-control',
  'pragma',
]);

/** `headers` without hop-by-hop ones, including those the Connection header names. */
export function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
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

/** The Via header with the edge appended. */
export function appendVia(existing: string | string[] | undefined): string {
  const prior = Array.isArray(existing) ? existing.join(', ') : existing;
  return prior ? `${prior}, ${VIA}` : VIA;
}
