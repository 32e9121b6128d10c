/** The demo edge's requests to its origin, with whole bodies buffered in memory. */
import type { Agent, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { appendVia } from './proxy-headers.ts';

export interface OriginResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The whole body of `stream`. */
export function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Sends one request to `origin` (adding the edge to Via) and resolves with the whole answer. */
export function fetchOrigin(
  origin: URL,
  agent: Agent,
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
