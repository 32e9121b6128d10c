import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DemoEdge } from '../../src/demo/edge-proxy.ts';
import { startEdge } from '../../src/demo/edge-proxy.ts';
import type { DemoServer } from '../../src/demo/origin-server.ts';
import { startOrigin } from '../../src/demo/origin-server.ts';
import { editSampleSiteInPlace, writeSampleSite } from '../../src/demo/sample-site.ts';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request over node:http (fetch cannot set Host), on a fresh connection. */
function send(
  base: string,
  target: string,
  options: { method?: string; host?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        hostname: url.hostname,
        port: url.port,
        method: options.method ?? 'GET',
        path: target,
        agent: false,
        headers: { ...(options.host ? { host: options.host } : {}), ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

const WWW = 'www.example.test';
const OTHER = 'other.example.test';

let dir: string;
let origin: DemoServer;
let edge: DemoEdge | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'edgepurge-demo-'));
  await writeSampleSite(dir);
  origin = await startOrigin({ root: dir });
});

afterEach(async () => {
  await edge?.close();
  edge = undefined;
  await origin.close();
  await rm(dir, { recursive: true, force: true });
});

describe('demo origin (nginx-like static server)', () => {
  it('builds the ETag from mtime seconds and size in hex, exactly like nginx', async () => {
    // 1700000000.9 s → 0x6553f100; 11 bytes → 0xb.
    await writeFile(path.join(dir, 'hello.txt'), 'hello world');
    await utimes(path.join(dir, 'hello.txt'), 1_700_000_000.9, 1_700_000_000.9);
    const reply = await send(origin.url, '/hello.txt');
    expect(reply.status).toBe(200);
    expect(reply.headers.etag).toBe('"6553f100-b"');
    expect(reply.headers['last-modified']).toBe('Tue, 14 Nov 2023 22:13:20 GMT');
    expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(reply.headers['content-length']).toBe('11');
    expect(reply.headers['cache-control']).toBe('public, max-age=3600');
    expect(reply.body).toBe('hello world');
  });

  it('answers 304 to a matching If-None-Match (weak, list, *) and If-Modified-Since', async () => {
    const first = await send(origin.url, '/assets/app.js');
    const etag = String(first.headers.etag);
    for (const ifNoneMatch of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
      const reply = await send(origin.url, '/assets/app.js', {
        headers: { 'if-none-match': ifNoneMatch },
      });
      expect(reply.status, ifNoneMatch).toBe(304);
      expect(reply.headers.etag).toBe(etag);
      expect(reply.body).toBe('');
    }
    const other = await send(origin.url, '/assets/app.js', { headers: { 'if-none-match': '"x"' } });
    expect(other.status).toBe(200);
    const since = await send(origin.url, '/assets/app.js', {
      headers: { 'if-modified-since': String(first.headers['last-modified']) },
    });
    expect(since.status).toBe(304);
    const before = await send(origin.url, '/assets/app.js', {
      headers: { 'if-modified-since': 'Mon, 01 Jan 2024 00:00:00 GMT' },
    });
    expect(before.status).toBe(200);
  });

  it('maps /dir/ to index.html, redirects /dir, and serves HEAD without a body', async () => {
    const redirect = await send(origin.url, '/about?x=1');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/about/?x=1');
    const page = await send(origin.url, '/about/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.body).toContain('release 1 of the about page');
    const head = await send(origin.url, '/about/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(page.body)));
    expect(head.body).toBe('');
    expect((await send(origin.url, '/missing.js')).status).toBe(404);
    expect((await send(origin.url, '/assets/app.js/')).status).toBe(404);
  });

  it('refuses paths that leave the root, plain or percent-encoded', async () => {
    const secret = `${path.basename(dir)}-secret.txt`;
    await writeFile(path.join(path.dirname(dir), secret), 'secret');
    try {
      for (const target of [
        `/../${secret}`,
        `/%2e%2e/${secret}`,
        `/assets/..%2f..%2f${secret}`,
        '/%00',
      ]) {
        const reply = await send(origin.url, target);
        expect(reply.status, target).toBe(400);
        expect(reply.body).not.toContain('secret');
      }
    } finally {
      await rm(path.join(path.dirname(dir), secret), { force: true });
    }
  });
});

describe('demo edge (Varnish-like cache) in front of the origin', () => {
  it('keeps serving old bytes after a same-size, same-mtime deploy until purge and touch', async () => {
    edge = await startEdge({ origin: origin.url });
    const get = (target: string, headers: Record<string, string> = {}) =>
      send(edge?.url ?? '', target, { host: WWW, headers });

    const miss = await get('/assets/app.js');
    expect(miss.status).toBe(200);
    expect(miss.headers['x-cache']).toBe('MISS');
    expect(miss.headers.via).toContain('edgepurge-demo');
    expect(miss.body).toContain("'release 1'");
    const oldEtag = String(miss.headers.etag);
    const hit = await get('/assets/app.js');
    expect(hit.headers['x-cache']).toBe('HIT');
    expect(hit.headers.age).toMatch(/^\d+$/);
    expect(hit.body).toBe(miss.body);
    expect((await get('/about/')).headers['x-cache']).toBe('MISS');

    expect(await editSampleSiteInPlace(dir)).toEqual(['assets/app.js', 'about/index.html']);
    // The origin has the new bytes under the old ETag: the root cause.
    const atOrigin = await send(origin.url, '/assets/app.js', { host: WWW });
    expect(atOrigin.body).toContain("'release 2'");
    expect(atOrigin.headers.etag).toBe(oldEtag);

    // Assets: still fresh at the edge. HTML: revalidated, the origin says 304, old body again.
    const staleAsset = await get('/assets/app.js');
    expect(staleAsset.headers['x-cache']).toBe('HIT');
    expect(staleAsset.body).toContain("'release 1'");
    const staleHtml = await get('/about/');
    expect(staleHtml.headers['x-cache']).toBe('REVALIDATED');
    expect(staleHtml.body).toContain('release 1 of the about page');
    // Even a visitor's "no-cache" does not get past the edge's stored validators.
    const forced = await get('/about/', { 'cache-control': 'no-cache' });
    expect(forced.body).toContain('release 1 of the about page');
    expect((await get('/assets/app.js', { 'if-none-match': oldEtag })).status).toBe(304);

    const purge = await send(edge.url, '/assets/app.js', { method: 'PURGE', host: WWW });
    expect(purge.status).toBe(200);
    expect(JSON.parse(purge.body)).toEqual({ purged: 1 });
    const again = await send(edge.url, '/assets/app.js', { method: 'PURGE', host: WWW });
    expect(JSON.parse(again.body)).toEqual({ purged: 0 });

    const refetched = await get('/assets/app.js');
    expect(refetched.headers['x-cache']).toBe('MISS');
    expect(refetched.body).toContain("'release 2'");
    // Stale-304: a browser holding release 1 revalidates with the old ETag and keeps release 1.
    const browser = await get('/assets/app.js', { 'if-none-match': oldEtag });
    expect(browser.status).toBe(304);

    // The fix: a new mtime gives a new ETag; after a purge the old ETag no longer matches.
    const now = new Date();
    await utimes(path.join(dir, 'assets/app.js'), now, now);
    await send(edge.url, '/assets/app.js', { method: 'PURGE', host: WWW });
    const fixed = await get('/assets/app.js', { 'if-none-match': oldEtag });
    expect(fixed.status).toBe(200);
    expect(fixed.headers.etag).not.toBe(oldEtag);
    expect(fixed.body).toContain("'release 2'");

    expect(edge.stats()).toEqual({ hits: 4, misses: 4, revalidations: 2, purges: 3 });
  });

  it('BAN evicts only the prefix, and only for its Host', async () => {
    edge = await startEdge({ origin: origin.url });
    const base = edge.url;
    for (const host of [WWW, OTHER]) {
      for (const target of ['/assets/app.js', '/assets/style.css', '/robots.txt']) {
        expect((await send(base, target, { host })).headers['x-cache']).toBe('MISS');
      }
    }
    const ban = await send(base, '/', {
      method: 'BAN',
      host: WWW,
      headers: { 'x-ban-path': '/assets/' },
    });
    expect(ban.status).toBe(200);
    expect(JSON.parse(ban.body)).toEqual({ banned: 2 });

    const cacheStatus = async (host: string, target: string) =>
      (await send(base, target, { host })).headers['x-cache'];
    expect(await cacheStatus(WWW, '/assets/app.js')).toBe('MISS');
    expect(await cacheStatus(WWW, '/assets/style.css')).toBe('MISS');
    expect(await cacheStatus(WWW, '/robots.txt')).toBe('HIT');
    expect(await cacheStatus(OTHER, '/assets/app.js')).toBe('HIT');

    const noHeader = await send(base, '/', { method: 'BAN', host: WWW });
    expect(noHeader.status).toBe(400);
  });

  it('answers 502 when the origin is down', async () => {
    const gone = await startOrigin({ root: dir });
    await gone.close();
    edge = await startEdge({ origin: gone.url });
    const reply = await send(edge.url, '/index.html', { host: WWW });
    expect(reply.status).toBe(502);
  });
});
