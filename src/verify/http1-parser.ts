/**
 * An incremental HTTP/1.1 response parser (RFC 9112) for the verifier's probes: the head is
 * parsed into a status and lower-cased headers, the body is handed on as views of the bytes fed,
 * never copied, so a caller that hashes them synchronously holds no chunk (see http-client.ts).
 * Framing: no body for HEAD, 1xx, 204 and 304; `Transfer-Encoding: chunked`; `Content-Length`;
 * else until the connection closes.
 */

/** Largest response head (status line and headers), and largest chunk-size or trailer line. */
export const MAX_HEAD_BYTES = 64 * 1024;

/** A response the parser cannot frame: the connection is not reused. `code` as undici's. */
export class HttpParseError extends Error {
  override readonly name = 'HttpParseError';
  readonly code = 'HPE_INVALID_RESPONSE';
}

export interface ResponseHead {
  readonly status: number;
  /** Lower-cased names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** Whether the connection may carry another request once this response ends. */
  readonly keepAlive: boolean;
}

export interface ResponseSink {
  /** The final head (1xx heads are skipped). */
  head(head: ResponseHead): void;
  /** Body bytes `buffer[start, end)`: valid only during the call. */
  body(buffer: Buffer, start: number, end: number): void;
  /** The response ended (see `trailing` once `feed` returns). */
  end(): void;
}

type State =
  | 'head'
  | 'length'
  | 'chunk-size'
  | 'chunk-data'
  | 'chunk-end'
  | 'trailers'
  | 'until-close'
  | 'done';

const CRLF_CRLF = Buffer.from('\r\n\r\n');

export class Http1ResponseParser {
  readonly #sink: ResponseSink;
  readonly #head = Buffer.allocUnsafe(MAX_HEAD_BYTES);
  #headLength = 0;
  #state: State = 'done';
  #noBody = false;
  #remaining = 0;
  #line = '';
  #keepAlive = false;
  #trailing = false;

  constructor(sink: ResponseSink) {
    this.#sink = sink;
  }

  /** Ready for the response to a request of `method`. */
  start(method: string): void {
    this.#state = 'head';
    this.#headLength = 0;
    this.#noBody = method.toUpperCase() === 'HEAD';
    this.#line = '';
    this.#trailing = false;
  }

  /** Whether bytes followed the end of the response (the connection must not be reused). */
  get trailing(): boolean {
    return this.#trailing;
  }

  /** Whether a response is under way (a close now would cut it short). */
  get pending(): boolean {
    return this.#state !== 'done';
  }

  /** Whether at least one byte of the current response came. */
  get started(): boolean {
    return this.#state !== 'head' || this.#headLength > 0;
  }

  /** Parses `buffer[start, end)`. Throws HttpParseError on a malformed response. */
  feed(buffer: Buffer, start: number, end: number): void {
    let at = start;
    while (at < end && this.#state !== 'done') {
      switch (this.#state) {
        case 'head':
          at = this.#feedHead(buffer, at, end);
          break;
        case 'length': {
          const take = Math.min(this.#remaining, end - at);
          this.#sink.body(buffer, at, at + take);
          at += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#finish();
          break;
        }
        case 'until-close':
          this.#sink.body(buffer, at, end);
          at = end;
          break;
        case 'chunk-size':
        case 'trailers':
          at = this.#feedLine(buffer, at, end);
          break;
        case 'chunk-data': {
          const take = Math.min(this.#remaining, end - at);
          this.#sink.body(buffer, at, at + take);
          at += take;
          this.#remaining -= take;
          if (this.#remaining === 0) {
            this.#state = 'chunk-end';
            this.#line = '';
          }
          break;
        }
        case 'chunk-end':
          at = this.#feedLine(buffer, at, end);
          break;
      }
    }
    // Bytes after the response: nothing more was asked for, so the connection is dropped.
    if (at < end) this.#trailing = true;
  }

  /** The connection closed: ends a response framed by the close, else throws. */
  close(): void {
    if (this.#state === 'until-close') {
      this.#keepAlive = false;
      this.#finish();
      return;
    }
    if (this.#state !== 'done') {
      const error = new Error('other side closed');
      (error as Error & { code: string }).code = 'UND_ERR_SOCKET';
      throw error;
    }
  }

  #feedHead(buffer: Buffer, start: number, end: number): number {
    const take = Math.min(end - start, MAX_HEAD_BYTES - this.#headLength);
    buffer.copy(this.#head, this.#headLength, start, start + take);
    const searchFrom = Math.max(0, this.#headLength - 3);
    this.#headLength += take;
    const found = this.#head.subarray(0, this.#headLength).indexOf(CRLF_CRLF, searchFrom);
    if (found === -1) {
      if (this.#headLength >= MAX_HEAD_BYTES) {
        throw new HttpParseError(`response head over ${MAX_HEAD_BYTES} bytes`);
      }
      return start + take;
    }
    const headEnd = found + 4;
    // Bytes of this feed past the head: the body's (or the next head's, after a 1xx).
    const consumed = start + take - (this.#headLength - headEnd);
    this.#parseHead(this.#head.toString('latin1', 0, found));
    return consumed;
  }

  #parseHead(text: string): void {
    const lines = text.split('\r\n');
    const status = /^HTTP\/1\.([01]) (\d{3})(?: [^\r\n]*)?$/.exec(lines[0] ?? '');
    if (status === null) {
      throw new HttpParseError(
        `not an HTTP/1 status line: ${JSON.stringify(lines[0]?.slice(0, 80))}`,
      );
    }
    const code = Number(status[2]);
    const headers: Record<string, string> = Object.create(null);
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0 || line[0] === ' ' || line[0] === '\t') {
        throw new HttpParseError(`malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
      }
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    if (code >= 100 && code < 200) {
      // An interim response (100 Continue, 103 Early Hints): the final one follows.
      this.#headLength = 0;
      return;
    }
    const connection = (headers.connection ?? '').toLowerCase();
    this.#keepAlive = status[1] === '1' && !/(^|,)\s*close\s*(,|$)/.test(connection);
    this.#sink.head({ status: code, headers: { ...headers }, keepAlive: this.#keepAlive });
    this.#frame(code, headers);
  }

  #frame(code: number, headers: Record<string, string>): void {
    if (this.#noBody || code === 204 || code === 304) {
      this.#finish();
      return;
    }
    const coding = headers['transfer-encoding'];
    if (coding !== undefined) {
      const last = coding.split(',').pop()?.trim().toLowerCase();
      if (last === 'chunked') {
        this.#state = 'chunk-size';
        this.#line = '';
        return;
      }
      this.#keepAlive = false;
      this.#state = 'until-close';
      return;
    }
    const length = headers['content-length'];
    if (length !== undefined) {
      // Repeated equal values ("12, 12") are one length (RFC 9110 8.6); others are refused.
      const values = new Set(length.split(',').map((value) => value.trim()));
      const [only] = values;
      if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) {
        throw new HttpParseError(`invalid Content-Length: ${JSON.stringify(length)}`);
      }
      this.#remaining = Number(only);
      if (this.#remaining === 0) {
        this.#finish();
        return;
      }
      this.#state = 'length';
      return;
    }
    this.#keepAlive = false;
    this.#state = 'until-close';
  }

  /** Reads a CRLF-ended line of the chunked coding; returns where the line ended. */
  #feedLine(buffer: Buffer, start: number, end: number): number {
    const lf = buffer.indexOf(10, start);
    const stop = lf === -1 || lf >= end ? end : lf + 1;
    this.#line += buffer.toString('latin1', start, stop);
    if (this.#line.length > MAX_HEAD_BYTES) throw new HttpParseError('chunked line too long');
    if (!this.#line.endsWith('\n')) return stop;
    const line = this.#line.endsWith('\r\n') ? this.#line.slice(0, -2) : this.#line.slice(0, -1);
    this.#line = '';
    this.#onLine(line);
    return stop;
  }

  #onLine(line: string): void {
    if (this.#state === 'chunk-end') {
      if (line !== '') throw new HttpParseError('chunk data longer than its size');
      this.#state = 'chunk-size';
      return;
    }
    if (this.#state === 'trailers') {
      // Trailer fields are not read; the empty line ends the message.
      if (line === '') this.#finish();
      return;
    }
    const size = line.split(';', 1)[0]?.trim() ?? '';
    if (!/^[0-9a-fA-F]{1,13}$/.test(size)) {
      throw new HttpParseError(`invalid chunk size: ${JSON.stringify(line.slice(0, 40))}`);
    }
    this.#remaining = Number.parseInt(size, 16);
    this.#state = this.#remaining === 0 ? 'trailers' : 'chunk-data';
  }

  #finish(): void {
    this.#state = 'done';
    this.#sink.end();
  }
}
