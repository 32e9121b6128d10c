import { afterEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load-config.ts';
import type { VarnishConfig } from '../../src/config/schema.ts';
import { JobError } from '../../src/errors.ts';
import { createVarnishProvider } from '../../src/providers/varnish.ts';
import { type RecordingServer, startRecordingServer } from '../support/recording-server.ts';

const servers: RecordingServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
async function node(status?: Parameters<typeof startRecordingServer>[0]) {
  const server = await startRecordingServer(status);
  servers.push(server);
  return server;
}
function varnish(endpoints: string[], extra: Record<string, unknown> = {}): VarnishConfig {
  const config = validateConfig({
    dir: '.',
    baseUrl: 'https://www.example.com',
    providers: [{ type: 'varnish', endpoints, ...extra }],
  });
  return config.providers[0] as VarnishConfig;
}
const signal = new AbortController().signal;

describe('Varnish provider', () => {
  it('sends PURGE <path> with the public Host to every endpoint of the fleet', async () => {
    const a = await node();
    const b = await node();
    const provider = createVarnishProvider(varnish([a.url, b.url]));
    const outcome = await provider.purge(
      {
        kind: 'urls',
        urls: ['https://www.example.com/about/', 'https://www.example.com/a%20b.js?v=1'],
      },
      signal,
    );
    expect(outcome.requests).toBe(4);
    for (const server of [a, b]) {
      expect(server.requests.map((r) => [r.method, r.url, r.headers.host]).sort()).toEqual([
        ['PURGE', '/a%20b.js?v=1', 'www.example.com'],
        ['PURGE', '/about/', 'www.example.com'],
      ]);
    }
  });

  it('sends xkey tags as one PURGE with xkey-purge per endpoint', async () => {
    const a = await node();
    const provider = createVarnishProvider(varnish([a.url]));
    await provider.purge({ kind: 'tags', tags: ['product-1', 'home'] }, signal);
    expect(a.requests).toHaveLength(1);
    expect(a.requests[0]?.headers['xkey-purge']).toBe('product-1 home');
  });

  it('a 405 (not in the purgers ACL) fails at once, naming endpoint, target and status, with a hint', async () => {
    const a = await node(405);
    const provider = createVarnishProvider(varnish([a.url]));
    const error = await provider
      .purge({ kind: 'urls', urls: ['https://www.example.com/x.js'] }, signal)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobError);
    expect((error as JobError).message).toBe(
      `varnish ${a.url}: PURGE https://www.example.com/x.js answered 405`,
    );
    expect((error as JobError).hint).toContain('purgers');
    expect(a.requests).toHaveLength(1);
  });

  it('a 503 is a retryable server failure; a refused connection fails at once', async () => {
    const a = await node(503);
    const provider = createVarnishProvider(varnish([a.url]));
    const error = await provider
      .purge({ kind: 'urls', urls: ['https://www.example.com/x.js'] }, signal)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_VARNISH_PURGE', kind: 'server', status: 503 });
    // The provider sends once: retries belong to the executor.
    expect(a.requests).toHaveLength(1);

    const down = createVarnishProvider(varnish(['http://127.0.0.1:9']));
    const refused = await down
      .purge({ kind: 'urls', urls: ['https://www.example.com/x.js'] }, signal)
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'E_VARNISH_UNREACHABLE', kind: 'refused' });
    expect((refused as Error).message).toContain('http://127.0.0.1:9');
  });

  it('keeps at most `concurrency` requests in flight per endpoint', async () => {
    let inFlight = 0;
    let peak = 0;
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        res.end('ok');
      }, 20);
      req.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const provider = createVarnishProvider(
      varnish([`http://127.0.0.1:${port}`], { concurrency: 3 }),
    );
    const urls = Array.from({ length: 12 }, (_, i) => `https://www.example.com/${i}.js`);
    await provider.purge({ kind: 'urls', urls }, signal);
    server.closeAllConnections();
    server.close();
    expect(peak).toBe(3);
  });
});
