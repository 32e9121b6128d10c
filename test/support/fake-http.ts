import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A request as a fake API saw it. */
export interface FakeRequest {
  readonly index: number;
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What the fake does with a request: answer, drop the connection, or answer late. */
export type FakeAnswer =
  | { readonly status: number; readonly headers?: Record<string, string>; readonly body?: unknown }
  | { readonly drop: true }
  | { readonly delayMs: number; readonly answer: FakeAnswer };

export type FakeHandler = (request: FakeRequest) => FakeAnswer | Promise<FakeAnswer>;

export interface FakeServer {
  readonly url: string;
  /** Every request received, in order, faults included. */
  readonly requests: FakeRequest[];
  /**
   * Consulted before the API's own handler: return an answer to inject a fault (429, 500, a
   * dropped connection, a slow answer), or undefined to let the API answer.
   */
  faults: (request: FakeRequest) => FakeAnswer | undefined;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server for API fakes: records every request with its body, answers through
 * `handler`, and lets a test inject faults. JSON bodies are serialised; strings go as they are.
 */
export async function startFakeServer(handler: FakeHandler): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();
  const fake: FakeServer = {
    url: '',
    requests,
    faults: () => undefined,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request: FakeRequest = {
      index: requests.length,
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    requests.push(request);
    let answer = fake.faults(request) ?? (await handler(request));
    while ('delayMs' in answer) {
      await new Promise((resolve) => setTimeout(resolve, (answer as { delayMs: number }).delayMs));
      answer = answer.answer;
    }
    if ('drop' in answer) {
      req.socket.destroy();
      return;
    }
    const body =
      answer.body === undefined
        ? ''
        : typeof answer.body === 'string'
          ? answer.body
          : JSON.stringify(answer.body);
    const headers: Record<string, string> = { ...answer.headers };
    if (typeof answer.body === 'object' && answer.body !== null && !headers['content-type']) {
      headers['content-type'] = 'application/json';
    }
    res.writeHead(answer.status, headers).end(body);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, { url: `http://127.0.0.1:${port}` });
}
