import { isIP } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import { type ConnectRule, resolveConnectTo } from './connect-to.ts';
import { canDecode, contentCodings, hashBody } from './decode.ts';

export interface HttpClientOptions {
  readonly connectTo?: readonly ConnectRule[];
  /** Connections per origin kept alive. */
  readonly connections?: number;
  readonly timeoutMs?: number;
}

export interface ProbeRequest {
  readonly method?: string;
  /** Request headers; `host` may be set (the origin is reached with the public Host). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  /** Undo a gzip or br `Content-Encoding` while hashing, so `sha256` is the decoded bytes'. */
  readonly decode?: boolean;
}

/** What one request saw: status, the headers a verifier reads, and the body's SHA-256. */
export interface ProbeResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Hex SHA-256 of the body (hashed while streaming, never buffered): as received, or decoded
   * when `decode` was asked for and the coding is one edgepurge undoes (`decoded` names it).
   */
  readonly sha256: string;
  /** Bytes received on the wire. */
  readonly bytes: number;
  /** The content codings undone before hashing (`gzip`, `br`), when any were. */
  readonly decoded?: string;
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
      const headers = flattenHeaders(response.headers);
      const codings = init.decode === true ? contentCodings(headers['content-encoding']) : [];
      // An encoding edgepurge cannot undo is hashed as received; `decoded` stays unset.
      const undo = canDecode(codings) ? codings : [];
      try {
        const digest = await hashBody(response.body, undo);
        return {
          status: response.statusCode,
          headers,
          sha256: digest.sha256,
          bytes: digest.bytes,
          ...(undo.length > 0 ? { decoded: undo.join(', ') } : {}),
        };
      } catch (error) {
        // A corrupt stream: free the connection instead of leaving the body half read.
        response.body.destroy();
        throw error;
      }
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
