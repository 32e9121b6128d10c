import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import { type ConnectRule, resolveConnectTo } from './connect-to.ts';

export interface HttpClientOptions {
  readonly connectTo?: readonly ConnectRule[];
  /** Connections per origin kept alive. */
  readonly connections?: number;
  readonly timeoutMs?: number;
}

export interface ProbeRequest {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/** What one request saw: status, the headers a verifier reads, and the body's SHA-256. */
export interface ProbeResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Hex SHA-256 of the body as received (hashed while streaming, never buffered). */
  readonly sha256: string;
  readonly bytes: number;
}

export interface HttpClient {
  probe(url: string, init?: ProbeRequest): Promise<ProbeResponse>;
  close(): Promise<void>;
}

/**
 * A pooled keep-alive client whose connections honour curl-style connect-to rules: the request
 * keeps the public URL, Host and TLS server name, but the socket goes to the rule's address.
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const rules = options.connectTo ?? [];
  const timeout = options.timeoutMs ?? 10_000;
  const connect = buildConnector({ timeout });
  const dispatcher = new Agent({
    connections: options.connections ?? 16,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connect: (opts, callback) => {
      const port = opts.port || (opts.protocol === 'https:' ? '443' : '80');
      const target = resolveConnectTo(rules, opts.hostname, port);
      connect(
        {
          ...opts,
          hostname: target.host,
          port: target.port,
          // TLS keeps the public name (SNI), as curl does; SNI never carries an IP address.
          servername: opts.servername || (isIP(opts.hostname) ? undefined : opts.hostname),
        },
        callback,
      );
    },
  });
  return {
    async probe(url, init = {}) {
      const response = await request(url, {
        dispatcher,
        method: (init.method ?? 'GET') as 'GET',
        headers: { 'user-agent': 'edgepurge', ...init.headers },
        signal: init.signal,
      });
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const chunk of response.body) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
      }
      return {
        status: response.statusCode,
        headers: flattenHeaders(response.headers),
        sha256: hash.digest('hex'),
        bytes,
      };
    },
    close: () => dispatcher.close(),
  };
}

function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
