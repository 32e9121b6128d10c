import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

export interface RecordingServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** TCP connections accepted: counts even a request Node's parser refuses (BAN). */
  connections(): number;
  close(): Promise<void>;
}

/**
 * A loopback HTTP server that records every request and answers `status` (200 by default):
 * a stand-in for a purge endpoint when a test must prove what was, or was not, sent.
 */
export async function startRecordingServer(
  status: number | ((request: RecordedRequest, index: number) => number) = 200,
): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    requests.push(request);
    req.resume();
    const code = typeof status === 'number' ? status : status(request, requests.length - 1);
    res.writeHead(code, { 'content-type': 'text/plain' }).end(code < 300 ? 'ok' : 'no');
  });
  let connections = 0;
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
