import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DemoEdge } from '../../src/demo/edge-proxy.ts';
import { httpRequest } from './stack.ts';

export interface RecordingVarnish {
  readonly server: Server;
  readonly url: string;
  /** Every request received, as `METHOD host path`, in order; tests may empty it. */
  readonly seen: string[];
}

/** A Varnish endpoint that records every request (`METHOD host path`) and forwards it to the edge. */
export async function recordingVarnish(edge: DemoEdge): Promise<RecordingVarnish> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.headers.host}${req.url}`);
    const headers: Record<string, string> = {};
    for (const name of ['x-ban-path', 'xkey-purge']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    httpRequest(`${edge.url}${req.url}`, {
      method: req.method,
      host: req.headers.host,
      headers,
    }).then(
      (answer) => res.writeHead(answer.status).end(),
      () => res.writeHead(502).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, seen };
}
