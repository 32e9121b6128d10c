import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import { type ConnectRule, resolveConnectTo } from './connect-to.ts';
import { canDecode, contentCodings, hashBody } from './decode.ts';
import type { ResponseHead } from './http1-parser.ts';
import { createHttp1Pool, type Endpoint } from './http1-pool.ts';

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
 * A pooled keep-alive HTTP/1.1 client whose connections honour curl-style connect-to rules: the
 * request keeps the public URL, Host and TLS server name, but the socket goes to the rule's
 * address. Bodies are hashed as they arrive, from the socket's one read buffer (http1-pool.ts):
 * memory stays flat however large the files verified, with back-pressure when a decoder lags.
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const rules = options.connectTo ?? [];
  const timeout = options.timeoutMs ?? 10_000;
  const pool = createHttp1Pool({ connections: options.connections ?? 16, timeoutMs: timeout });
  const once = (url: URL, init: ProbeRequest) =>
    new Promise<ProbeResponse & { retry?: boolean }>((resolve, reject) => {
      const method = (init.method ?? 'GET').toUpperCase();
      const tls = url.protocol === 'https:';
      const port = url.port || (tls ? '443' : '80');
      const target = resolveConnectTo(rules, url.hostname, port);
      const hostname = url.hostname.replace(/^\[|\]$/g, '');
      const endpoint: Endpoint = {
        tls,
        host: target.host,
        port: Number(target.port),
        // TLS keeps the public name (SNI), as curl does; SNI never carries an IP address.
        ...(tls && isIP(hostname) === 0 ? { servername: hostname } : {}),
      };
      const request = requestHead(method, url, {
        'user-agent': 'edgepurge',
        ...init.headers,
      });
      let head: ResponseHead | undefined;
      let identity: ReturnType<typeof createHash> | undefined;
      let bytes = 0;
      let decoding:
        | { feed: Readable; undo: string[]; digest: ReturnType<typeof hashBody> }
        | undefined;
      pool.dispatch(
        `${url.protocol}//${url.host}`,
        endpoint,
        {
          method,
          request,
          onHead(answer, control) {
            head = answer;
            const codings =
              init.decode === true ? contentCodings(answer.headers['content-encoding']) : [];
            // An encoding edgepurge cannot undo is hashed as received; `decoded` stays unset.
            const undo = canDecode(codings) ? codings : [];
            if (undo.length === 0) {
              identity = createHash('sha256');
              return;
            }
            // Decoding: the bytes are copied into a stream the decoders read, paced by it.
            const feed = new Readable({ read: () => control.resume() });
            const digest = hashBody(feed, undo);
            // A corrupt stream rejects `digest` early: the connection and the rest of the body
            // are dropped, and the probe fails with the decoder's error.
            digest.catch((error: unknown) => control.abort(error as Error));
            decoding = { feed, undo, digest };
          },
          onBody(buffer, start, end) {
            bytes += end - start;
            if (identity !== undefined) {
              identity.update(buffer.subarray(start, end));
              return true;
            }
            return decoding?.feed.push(Buffer.from(buffer.subarray(start, end))) ?? true;
          },
          onEnd() {
            const answer = head as ResponseHead;
            const base = { status: answer.status, headers: { ...answer.headers } };
            if (decoding === undefined) {
              const sha256 = (identity ?? createHash('sha256')).digest('hex');
              resolve({ ...base, sha256, bytes });
              return;
            }
            const { feed, undo, digest } = decoding;
            feed.push(null);
            digest.then(
              (done) => resolve({ ...base, sha256: done.sha256, bytes, decoded: undo.join(', ') }),
              reject,
            );
          },
          onError(error, retry) {
            decoding?.feed.destroy();
            if (retry) resolve({ status: 0, headers: {}, sha256: '', bytes: 0, retry: true });
            else reject(error);
          },
        },
        init.signal,
      );
    });
  return {
    async probe(url, init = {}) {
      init.signal?.throwIfAborted();
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        throw new TypeError(`cannot probe ${parsed.protocol} URLs: ${url}`);
      }
      const first = await once(parsed, init);
      // A kept-alive connection the server closed meanwhile: once more on a new one.
      if (first.retry !== true) return first;
      const second = await once(parsed, init);
      if (second.retry === true) throw new Error(`the connection closed before ${url} answered`);
      return second;
    },
    close: () => pool.close(),
  };
}

/** The request's head: request line and headers, refusing CR, LF or NUL in any of them. */
function requestHead(method: string, url: URL, headers: Readonly<Record<string, string>>): string {
  const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`];
  const names = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  if (!names.has('host')) lines.push(`host: ${url.host}`);
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n\0]/.test(value)) {
      throw new TypeError(`invalid request header ${JSON.stringify(name)}`);
    }
    lines.push(`${name}: ${value}`);
  }
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method)) {
    throw new TypeError(`invalid method ${JSON.stringify(method)}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}
