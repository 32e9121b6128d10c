import { type FakeServer, startFakeServer } from './fake-http.ts';

export interface FakeVarnish {
  readonly url: string;
  /** Requests as received (faults included); inject 429/5xx/drops through `server.faults`. */
  readonly server: FakeServer;
  /** `host/path?query` of each PURGE the node accepted (answered 200), in order. */
  purged(): string[];
}

/**
 * A loopback Varnish node as examples/varnish/edgepurge.vcl answers it: `PURGE <path>` with the
 * public Host evicts one object and answers 200 ("Purged"). Only PURGE: Node's HTTP parser
 * refuses BAN (see recording-server.ts), so prefix and everything purges need a real Varnish.
 */
export async function startFakeVarnish(): Promise<FakeVarnish> {
  const purged: string[] = [];
  const server = await startFakeServer((request) => {
    if (request.method !== 'PURGE') return { status: 405, body: 'Method not allowed' };
    purged.push(`${String(request.headers.host)}${request.url}`);
    return { status: 200, body: 'Purged' };
  });
  return { url: server.url, server, purged: () => [...purged] };
}
