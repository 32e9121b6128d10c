/** BAN requests to the demo edge, parsed and answered from the raw request head. */
import type { Socket } from 'node:net';
import { VIA } from './proxy-headers.ts';

/** What a BAN does to the edge. */
export interface BanTarget {
  /** Called for every BAN, including one without X-Ban-Path (it still counts as a purge). */
  received(): void;
  /** Drops the objects of `host` whose URL starts with `prefix`; how many there were. */
  ban(host: string, prefix: string): number;
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

// Node's HTTP parser knows PURGE but not BAN, so BAN arrives as a parse error carrying the raw
// request head. It is answered by hand and the connection closed.
/**
 * Answers the raw request head `raw` on `socket`: a BAN with `X-Ban-Path: <prefix>` bans that
 * prefix for its Host and gets 200 `{"banned":n}`; anything else gets 400. Closes the connection.
 */
export function handleBan(raw: Buffer, socket: Socket, target: BanTarget): void {
  const head = parseRawHead(raw);
  if (head?.method !== 'BAN') {
    rawJsonResponse(socket, '400 Bad Request', { error: 'malformed request' });
    return;
  }
  target.received();
  const host = (head.headers.get('host') ?? '').toLowerCase();
  const prefix = head.headers.get('x-ban-path');
  if (prefix === undefined || prefix === '') {
    rawJsonResponse(socket, '400 Bad Request', { error: 'BAN needs an X-Ban-Path header' });
    return;
  }
  rawJsonResponse(socket, '200 OK', { banned: target.ban(host, prefix) });
}
