import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { Http1ResponseParser, type ResponseHead } from './http1-parser.ts';

/**
 * Keep-alive HTTP/1.1 connections for the verifier, pooled per origin. Each socket reads into
 * one buffer of its own (`net.Socket` `onread`), reused for every read: Node allocates nothing
 * per read, and the parser hands body bytes on as views of that buffer. Memory therefore stays
 * flat in body size: a client built on a stream of fresh chunks (undici, node:http) leaves each
 * received chunk to the garbage collector, which V8 only runs after ~64 MB of them piled up.
 */

/** Bytes a socket reads at a time: the size Node itself asks libuv for. */
const READ_BUFFER_BYTES = 64 * 1024;
/** An idle connection is closed after this long (servers' keep-alive timeouts are ~5 s). */
const IDLE_MS = 4000;

/** Where a connection goes: TLS or not, the address to dial, the name for SNI. */
export interface Endpoint {
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  readonly servername?: string;
}

/** One request on a connection: the bytes to send, and what to do with the answer. */
export interface Exchange {
  readonly method: string;
  readonly request: string;
  /** `control.resume` reads on after `onBody` returned false; `control.abort` drops it all. */
  onHead(head: ResponseHead, control: ExchangeControl): void;
  /** Body bytes `buffer[start, end)`, valid only during the call; false pauses the socket. */
  onBody(buffer: Buffer, start: number, end: number): boolean;
  onEnd(): void;
  /** `retry`: the connection was a reused one that closed before any byte of the answer. */
  onError(error: Error, retry: boolean): void;
}

export interface ExchangeControl {
  resume(): void;
  /** Drops the connection: the exchange then hears `onError(error)`. */
  abort(error: Error): void;
}

type Phase = 'connecting' | 'idle' | 'head' | 'body';

const TIMEOUT_CODES: Readonly<Record<Exclude<Phase, 'idle'>, string>> = {
  connecting: 'UND_ERR_CONNECT_TIMEOUT',
  head: 'UND_ERR_HEADERS_TIMEOUT',
  body: 'UND_ERR_BODY_TIMEOUT',
};

class Connection {
  readonly socket: Socket;
  #phase: Phase = 'connecting';
  #exchange: Exchange | undefined;
  #ended = false;
  #paused = false;
  #used = false;
  #error: Error | undefined;
  /** The head of the answer under way: its keep-alive decides the connection's reuse. */
  #head: ResponseHead | undefined;
  readonly #parser: Http1ResponseParser;
  readonly #timeoutMs: number;
  readonly #done: (connection: Connection, reusable: boolean) => void;

  constructor(
    endpoint: Endpoint,
    timeoutMs: number,
    done: (connection: Connection, reusable: boolean) => void,
  ) {
    this.#timeoutMs = timeoutMs;
    this.#done = done;
    this.#parser = new Http1ResponseParser({
      head: (head) => {
        this.#phase = 'body';
        this.#head = head;
        const exchange = this.#exchange;
        // Bound to this exchange: once it ended, the connection may carry another one.
        const current = () => this.#exchange === exchange;
        exchange?.onHead(head, {
          resume: () => {
            if (current()) this.resume();
          },
          abort: (error) => {
            if (current()) this.abort(error);
          },
        });
      },
      body: (buffer, start, end) => {
        if (this.#exchange?.onBody(buffer, start, end) === false) this.#paused = true;
      },
      end: () => {
        this.#ended = true;
      },
    });
    const onread = {
      buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
      callback: (bytes: number, buffer: Buffer) => this.#read(buffer, bytes),
    };
    this.socket = endpoint.tls
      ? connectTls({
          host: endpoint.host,
          port: endpoint.port,
          servername: endpoint.servername,
          ALPNProtocols: ['http/1.1'],
          // tls.connect takes net.Socket's onread (nodejs.org/api/tls.html#tlsconnectoptions-callback);
          // @types/node leaves it out of ConnectionOptions.
          ...({ onread } as object),
        })
      : connectTcp({ host: endpoint.host, port: endpoint.port, onread });
    this.socket.setNoDelay(true);
    this.socket.setTimeout(timeoutMs);
    this.socket.once(endpoint.tls ? 'secureConnect' : 'connect', () => {
      if (this.#phase === 'connecting')
        this.#phase = this.#exchange === undefined ? 'idle' : 'head';
    });
    this.socket.on('timeout', () => {
      if (this.#phase === 'idle') {
        this.socket.destroy();
        return;
      }
      const error = new Error(`${this.#phase} timed out after ${this.#timeoutMs} ms`);
      this.socket.destroy(Object.assign(error, { code: TIMEOUT_CODES[this.#phase] }));
    });
    this.socket.on('error', (error) => {
      this.#error ??= error;
    });
    this.socket.on('close', () => this.#closed());
  }

  get busy(): boolean {
    return this.#exchange !== undefined;
  }

  send(exchange: Exchange): void {
    this.#exchange = exchange;
    this.#ended = false;
    this.#paused = false;
    this.#head = undefined;
    this.#parser.start(exchange.method);
    if (this.#phase === 'idle') this.#phase = 'head';
    this.socket.ref();
    this.socket.setTimeout(this.#timeoutMs);
    this.socket.write(exchange.request, 'latin1');
  }

  /** Reading again after `onBody` returned false. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.socket.resume();
  }

  /** Drops the connection (an aborted request): the exchange hears `error`. */
  abort(error: Error): void {
    this.#error ??= error;
    this.socket.destroy();
  }

  #read(buffer: Buffer, bytes: number): boolean {
    const exchange = this.#exchange;
    if (exchange === undefined) {
      // Bytes nobody asked for on an idle connection: it cannot be trusted with a request.
      this.socket.destroy();
      return false;
    }
    try {
      this.#parser.feed(buffer, 0, bytes);
    } catch (error) {
      this.abort(error as Error);
      return false;
    }
    if (this.#ended) this.#complete(!this.#parser.trailing);
    return !this.#paused;
  }

  #complete(clean: boolean): void {
    const exchange = this.#exchange as Exchange;
    this.#exchange = undefined;
    this.#used = true;
    this.#phase = 'idle';
    const reusable = clean && this.#head?.keepAlive === true && !this.socket.destroyed;
    if (reusable) {
      this.socket.setTimeout(IDLE_MS);
      this.socket.unref();
    }
    this.#done(this, reusable);
    exchange.onEnd();
  }

  #closed(): void {
    const exchange = this.#exchange;
    if (exchange === undefined) {
      this.#done(this, false);
      return;
    }
    try {
      // A body framed by the close ends here; anything else was cut short.
      this.#parser.close();
    } catch (error) {
      this.#exchange = undefined;
      this.#done(this, false);
      const retry = this.#used && !this.#parser.started;
      exchange.onError(this.#error ?? (error as Error), retry);
      return;
    }
    this.#complete(false);
  }
}

export interface Http1Pool {
  /** Sends `exchange` on an idle or new connection to `key` (dialling `endpoint`). */
  dispatch(key: string, endpoint: Endpoint, exchange: Exchange, signal?: AbortSignal): void;
  close(): Promise<void>;
}

interface Origin {
  readonly idle: Connection[];
  readonly waiting: { endpoint: Endpoint; exchange: Exchange; signal?: AbortSignal }[];
  open: number;
}

/** At most `connections` connections per origin key; requests beyond wait their turn. */
export function createHttp1Pool(options: { connections: number; timeoutMs: number }): Http1Pool {
  const origins = new Map<string, Origin>();
  const busy = new Set<Connection>();
  let closed = false;
  let drained: (() => void) | undefined;

  const originOf = (key: string): Origin => {
    let origin = origins.get(key);
    if (origin === undefined) {
      origin = { idle: [], waiting: [], open: 0 };
      origins.set(key, origin);
    }
    return origin;
  };

  const start = (
    key: string,
    origin: Origin,
    endpoint: Endpoint,
    exchange: Exchange,
    signal: AbortSignal | undefined,
  ): void => {
    let connection = origin.idle.pop();
    if (connection === undefined) {
      origin.open++;
      connection = new Connection(endpoint, options.timeoutMs, (done, reusable) =>
        finished(key, origin, done, reusable),
      );
    }
    const current = connection;
    const onAbort = () => current.abort(signal?.reason ?? new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const unlisten = () => signal?.removeEventListener('abort', onAbort);
    busy.add(current);
    current.send({
      ...exchange,
      onHead: (head, control) => exchange.onHead(head, control),
      onBody: (buffer, from, to) => exchange.onBody(buffer, from, to),
      onEnd: () => {
        unlisten();
        exchange.onEnd();
      },
      onError: (error, retry) => {
        unlisten();
        exchange.onError(signal?.aborted ? (signal.reason as Error) : error, retry);
      },
    });
  };

  const finished = (key: string, origin: Origin, connection: Connection, reusable: boolean) => {
    if (!busy.delete(connection) && !reusable) {
      // An idle connection that closed (timeout, server): forget it.
      const at = origin.idle.indexOf(connection);
      if (at !== -1) {
        origin.idle.splice(at, 1);
        origin.open--;
      }
      return;
    }
    if (reusable && !closed) origin.idle.push(connection);
    else {
      origin.open--;
      if (!connection.socket.destroyed) connection.socket.destroy();
    }
    const next = origin.waiting.shift();
    if (next !== undefined && !closed)
      start(key, origin, next.endpoint, next.exchange, next.signal);
    if (busy.size === 0) drained?.();
  };

  return {
    dispatch(key, endpoint, exchange, signal) {
      if (closed) throw new Error('the HTTP client is closed');
      const origin = originOf(key);
      if (origin.idle.length > 0 || origin.open < options.connections) {
        start(key, origin, endpoint, exchange, signal);
        return;
      }
      const entry = { endpoint, exchange, ...(signal === undefined ? {} : { signal }) };
      origin.waiting.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          const at = origin.waiting.indexOf(entry);
          if (at === -1) return;
          origin.waiting.splice(at, 1);
          exchange.onError(signal.reason as Error, false);
        },
        { once: true },
      );
    },
    async close() {
      closed = true;
      for (const origin of origins.values()) {
        for (const connection of origin.idle.splice(0)) connection.socket.destroy();
        for (const waiter of origin.waiting.splice(0)) {
          waiter.exchange.onError(new Error('the HTTP client was closed'), false);
        }
      }
      if (busy.size > 0) await new Promise<void>((resolve) => (drained = resolve));
    },
  };
}
