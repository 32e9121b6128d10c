/**
 * The verifier's checks against loopback servers that behave like an edge and an origin: each
 * check seen passing and failing, the diagnosis, redirects, weak/strong ETags, polling, and the
 * requests a URL costs on the happy path.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.ts';
import type { FileEntry, Manifest } from '../../src/manifest/manifest.ts';
import { type PackedManifest, packManifest } from '../../src/manifest/packed-manifest.ts';
import { predictEtag } from '../../src/origin/predict-etag.ts';
import { parseConnectTo } from '../../src/verify/connect-to.ts';
import { createHttpClient, type HttpClient } from '../../src/verify/http-client.ts';
import type { Check, UrlReport } from '../../src/verify/report-types.ts';
import type { EdgeSnapshot } from '../../src/verify/snapshot.ts';
import type { VerifyTarget } from '../../src/verify/targets.ts';
import {
  NO_RECORDED_VALIDATORS,
  type VerifyOptions,
  verifyRelease,
} from '../../src/verify/verify-release.ts';

const HOST = 'www.example.test';
const OLD = 'console.log("release 1");\n';
const NEW = 'console.log("release 2");\n';
const sha = (body: string | Buffer) => createHash('sha256').update(body).digest('hex');

type Route = (req: IncomingMessage, res: ServerResponse) => void;

interface Site {
  readonly url: string;
  readonly port: number;
  readonly routes: Map<string, Route>;
  readonly requests: { path: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

/** A loopback server answering each path with its route, recording every request. */
async function startSite(): Promise<Site> {
  const routes = new Map<string, Route>();
  const requests: Site['requests'] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ path, headers: req.headers });
    const route = routes.get(path);
    if (route === undefined) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    else route(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    routes,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

interface FileOptions {
  readonly type?: string;
  readonly etag?: string;
  readonly lastModified?: string;
  readonly cacheControl?: string;
  /** Bytes of the gzip / br variant; `true`: compress `body`. */
  readonly gzip?: Buffer | true;
  readonly br?: Buffer | true;
  readonly headers?: Record<string, string>;
  /** Answer every conditional request with 304, as a cache holding the old ETag does. */
  readonly always304?: boolean;
}

/** A static file as nginx or Varnish serves it: validators, conditionals, encodings. */
function file(body: string, options: FileOptions = {}): Route {
  return (req, res) => {
    const headers: Record<string, string> = {
      'content-type': options.type ?? 'application/javascript',
      ...options.headers,
    };
    // As nginx gzip_vary: a server that compresses says the answer varies by encoding.
    if (options.gzip || options.br) headers.vary = 'Accept-Encoding';
    if (options.etag) headers.etag = options.etag;
    if (options.lastModified) headers['last-modified'] = options.lastModified;
    if (options.cacheControl) headers['cache-control'] = options.cacheControl;
    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    const weak = (tag: string) => tag.replace(/^W\//, '');
    const notModified =
      (options.always304 && (inm !== undefined || ims !== undefined)) ||
      (inm !== undefined && options.etag !== undefined && weak(inm) === weak(options.etag)) ||
      (inm === undefined &&
        ims !== undefined &&
        options.lastModified !== undefined &&
        Date.parse(options.lastModified) <= Date.parse(ims));
    if (notModified) {
      res.writeHead(304, headers).end();
      return;
    }
    const accept = String(req.headers['accept-encoding'] ?? '');
    let out: Buffer = Buffer.from(body);
    if (options.br && /\bbr\b/.test(accept)) {
      out = options.br === true ? brotliCompressSync(body) : options.br;
      headers['content-encoding'] = 'br';
    } else if (options.gzip && /\bgzip\b/.test(accept)) {
      out = options.gzip === true ? gzipSync(body) : options.gzip;
      headers['content-encoding'] = 'gzip';
    }
    res.writeHead(200, { ...headers, 'content-length': String(out.length) }).end(out);
  };
}

function redirect(status: number, location: string): Route {
  return (_req, res) => res.writeHead(status, { location }).end();
}

function serves(
  path: string,
  body: string,
  extra: Partial<{ changed: boolean; validatorKept: boolean }> = {},
): VerifyTarget {
  return {
    kind: 'serves',
    url: `http://${HOST}${path}`,
    path: path.slice(1),
    sha256: sha(body),
    changed: extra.changed ?? true,
    validatorKept: extra.validatorKept ?? false,
  };
}

function snapshot(body: string, etag?: string, lastModified?: string): EdgeSnapshot {
  return { status: 200, sha256: sha(body), etag, lastModified };
}

/** A clock that moves only when the verifier sleeps: polling without waiting. */
function fakeClock() {
  let t = 1_000_000;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
    advance: (ms: number) => {
      t += ms;
    },
  };
}

const ids = (report: UrlReport) => report.checks.map((check) => check.id);
const check = (report: UrlReport, id: Check['id']) => {
  const found = report.checks.find((c) => c.id === id);
  if (found === undefined) throw new Error(`no ${id} check in ${ids(report).join(', ')}`);
  return found;
};

describe('verifyRelease checks against loopback edge and origin', () => {
  let edge: Site;
  let origin: Site;
  let client: HttpClient;
  let originClient: HttpClient;

  beforeAll(async () => {
    edge = await startSite();
    origin = await startSite();
    client = createHttpClient({ connectTo: parseConnectTo([`${HOST}:80:127.0.0.1:${edge.port}`]) });
    originClient = createHttpClient();
  });
  afterAll(async () => {
    await client.close();
    await originClient.close();
    await edge.close();
    await origin.close();
  });
  afterEach(() => {
    edge.routes.clear();
    origin.routes.clear();
    edge.requests.length = 0;
    origin.requests.length = 0;
  });

  const verify = async (
    targets: VerifyTarget[],
    options: Partial<VerifyOptions> & {
      snapshots?: Map<string, EdgeSnapshot>;
      withOrigin?: boolean;
    } = {},
  ) => {
    const clock = fakeClock();
    return verifyRelease(client, targets, options.snapshots ?? new Map(), {
      timeoutMs: 2000,
      concurrency: 4,
      signal: AbortSignal.timeout(10_000),
      log: silentLogger,
      now: clock.now,
      sleep: clock.sleep,
      ...(options.withOrigin ? { origin: { client: originClient, baseUrl: origin.url } } : {}),
      ...options,
    });
  };

  describe('happy path: every check passes, with few requests', () => {
    it('a changed, compressible file with a snapshot and an origin: 4 edge requests, 1 origin', async () => {
      const target = serves('/app.js', NEW);
      edge.routes.set(
        '/app.js',
        file(NEW, {
          etag: '"v2"',
          lastModified: 'Tue, 02 Jan 2024 00:00:00 GMT',
          cacheControl: 'no-cache',
          gzip: true,
          headers: { 'x-cache': 'HIT', age: '12', via: '1.1 varnish', 'cf-cache-status': 'HIT' },
        }),
      );
      origin.routes.set('/app.js', file(NEW));
      const snapshots = new Map([
        [target.url, snapshot(OLD, '"v1"', 'Mon, 01 Jan 2024 00:00:00 GMT')],
      ]);
      const report = await verify([target], { snapshots, withOrigin: true });
      expect(report).toMatchObject({ ok: true, checked: 1, stale: [], warnings: [] });
      const [url] = report.urls as [UrlReport];
      expect(ids(url)).toEqual([
        'origin',
        'body',
        'variant',
        'etag-changed',
        'conditional-etag',
        'conditional-date',
        'cache-policy',
      ]);
      expect(url.checks.every((c) => c.ok)).toBe(true);
      expect(url).toMatchObject({ fresh: true, diagnosis: 'fresh', attempts: 1, timeToFreshMs: 0 });
      expect(check(url, 'variant').seen).toContain('(gzip)');
      expect(url.cache).toEqual({
        'x-cache': 'HIT',
        age: '12',
        via: '1.1 varnish',
        'cf-cache-status': 'HIT',
      });
      expect(
        edge.requests.map((r) => [
          r.headers['accept-encoding'],
          r.headers['if-none-match'],
          r.headers['if-modified-since'],
        ]),
      ).toEqual([
        ['identity', undefined, undefined],
        ['gzip, br', undefined, undefined],
        ['identity', '"v1"', undefined],
        ['identity', undefined, 'Mon, 01 Jan 2024 00:00:00 GMT'],
      ]);
      // The origin is asked directly, with the public Host.
      expect(origin.requests).toHaveLength(1);
      expect(origin.requests[0]?.headers.host).toBe(HOST);
    });

    it('an added image, no snapshot, no origin: one request, no variant or conditional probes', async () => {
      const png = '\x89PNG fake image bytes';
      edge.routes.set('/logo.png', file(png, { type: 'image/png', etag: '"p1"' }));
      const report = await verify([serves('/logo.png', png, { changed: false })]);
      expect(report.ok).toBe(true);
      expect(ids(report.urls[0] as UrlReport)).toEqual(['body', 'cache-policy']);
      expect(edge.requests).toHaveLength(1);
    });
  });

  describe('body', () => {
    it('fails while the edge serves the previous bytes (polled until the timeout), passes once fresh', async () => {
      const target = serves('/app.js', NEW);
      let hits = 0;
      edge.routes.set('/app.js', (req, res) => {
        // Counts looks: the plain GET each attempt starts with.
        const plain =
          req.headers['accept-encoding'] === 'identity' && !req.headers['if-none-match'];
        if (plain) hits++;
        file(hits <= 3 ? OLD : NEW, { etag: hits <= 3 ? '"v1"' : '"v2"' })(req, res);
      });
      // Compressible, but this edge does not compress: one request per look.
      const snapshots = new Map([[target.url, snapshot(OLD, '"v1"')]]);
      const report = await verify([target], { snapshots });
      const url = report.urls[0] as UrlReport;
      expect(url).toMatchObject({ fresh: true, attempts: 4 });
      // 250 + 500 + 1000 ms of backoff (±25 % jitter) before the fourth look.
      expect(url.timeToFreshMs).toBeGreaterThanOrEqual(1312);
      expect(url.timeToFreshMs).toBeLessThanOrEqual(2188);

      hits = -1000;
      const stale = await verify([target], { snapshots, timeoutMs: 1000 });
      expect(stale.ok).toBe(false);
      const staleUrl = stale.urls[0] as UrlReport;
      expect(staleUrl.fresh).toBe(false);
      expect(staleUrl.timeToFreshMs).toBeUndefined();
      expect(staleUrl.attempts).toBeGreaterThan(1);
      expect(check(staleUrl, 'body')).toMatchObject({
        ok: false,
        severity: 'error',
        seen: expect.stringContaining('(the previous body)'),
      });
      expect(stale.stale).toEqual([
        {
          url: target.url,
          reason: 'the edge still serves the previous body',
          diagnosis: 'unknown',
        },
      ]);
    });

    it('fails with the status when the edge answers 404', async () => {
      const report = await verify([serves('/missing.js', NEW)], { timeoutMs: 0 });
      expect(report.stale[0]?.reason).toBe('answers 404, expected 200 with the new body');
    });

    it('fails with the error when the edge cannot be reached', async () => {
      const dead = createHttpClient({ connectTo: parseConnectTo([`${HOST}:80:127.0.0.1:9`]) });
      try {
        const report = await verifyRelease(dead, [serves('/app.js', NEW)], new Map(), {
          timeoutMs: 0,
          concurrency: 1,
          signal: AbortSignal.timeout(5000),
          log: silentLogger,
        });
        expect(report.stale[0]).toMatchObject({
          reason: 'request failed: ECONNREFUSED',
          diagnosis: 'unknown',
        });
      } finally {
        await dead.close();
      }
    });
  });

  describe('variant', () => {
    it('gzip decoded as it streams: a stale gzip entry beside a fresh identity one fails', async () => {
      edge.routes.set('/app.js', file(NEW, { gzip: gzipSync(OLD) }));
      const report = await verify([serves('/app.js', NEW)], { timeoutMs: 0 });
      const url = report.urls[0] as UrlReport;
      expect(check(url, 'body').ok).toBe(true);
      expect(check(url, 'variant')).toMatchObject({
        ok: false,
        severity: 'error',
        seen: expect.stringContaining('(gzip)'),
        message: expect.stringContaining('the gzip variant decodes to other bytes'),
      });
      expect(report.ok).toBe(false);
    });

    it('br decoded as it streams: a fresh br variant passes', async () => {
      edge.routes.set('/app.js', file(NEW, { br: true, gzip: gzipSync(OLD) }));
      const report = await verify([serves('/app.js', NEW)]);
      expect(report.ok).toBe(true);
      expect(check(report.urls[0] as UrlReport, 'variant')).toMatchObject({
        ok: true,
        seen: expect.stringContaining('(br)'),
      });
    });

    it('a corrupt gzip stream fails the check instead of throwing', async () => {
      edge.routes.set('/app.js', file(NEW, { gzip: Buffer.from('not gzip at all') }));
      const report = await verify([serves('/app.js', NEW)], { timeoutMs: 0 });
      expect(check(report.urls[0] as UrlReport, 'variant')).toMatchObject({
        ok: false,
        message: expect.stringContaining('could not be fetched and decoded'),
      });
    });

    it('no check when the edge announces variants but does not compress', async () => {
      edge.routes.set('/app.js', file(NEW, { headers: { vary: 'Accept-Encoding' } }));
      const report = await verify([serves('/app.js', NEW)]);
      expect(report.ok).toBe(true);
      expect(ids(report.urls[0] as UrlReport)).not.toContain('variant');
      expect(edge.requests.map((r) => r.headers['accept-encoding'])).toEqual([
        'identity',
        'gzip, br',
      ]);
    });

    it.each([
      { name: 'Vary: Accept-Encoding', headers: { vary: 'Origin, Accept-Encoding' }, probes: 2 },
      { name: 'Vary: *', headers: { vary: '*' }, probes: 2 },
      {
        name: 'a weak ETag (Varnish decoded a stored gzip)',
        headers: { etag: 'W/"1"' },
        probes: 2,
      },
      { name: 'neither (one representation)', headers: { etag: '"1"' }, probes: 1 },
      {
        name: 'an image with Vary',
        headers: { vary: 'Accept-Encoding', 'content-type': 'image/png' },
        probes: 1,
      },
    ] as { name: string; headers: Record<string, string>; probes: number }[])(
      'the variant is asked for after $name: $probes requests',
      async ({ headers, probes }) => {
        edge.routes.set('/app.js', file(NEW, { headers }));
        expect((await verify([serves('/app.js', NEW)])).ok).toBe(true);
        expect(edge.requests).toHaveLength(probes);
      },
    );
  });

  describe('etag-changed and conditional-etag', () => {
    it.each([
      { before: '"v1"', now: 'W/"v1"', ok: false },
      { before: 'W/"v1"', now: '"v1"', ok: false },
      { before: '"v1"', now: '"v2"', ok: true },
      { before: 'W/"v1"', now: 'W/"v2"', ok: true },
    ])(
      'snapshot $before, edge now $now: ok $ok (weak and strong forms name one validator)',
      async ({ before, now, ok }) => {
        const target = serves('/app.js', NEW);
        edge.routes.set('/app.js', file(NEW, { etag: now }));
        const snapshots = new Map([[target.url, snapshot(OLD, before)]]);
        const report = await verify([target], { snapshots });
        const url = report.urls[0] as UrlReport;
        expect(check(url, 'etag-changed')).toMatchObject({
          ok,
          expected: `an ETag other than ${before}`,
          seen: now,
        });
        if (!ok) {
          // Final: polling cannot change the origin's validator, so one look is enough.
          expect(url.attempts).toBe(1);
          expect(url.reason).toMatch(/^ETag .* did not change though the content did/);
        } else {
          expect(check(url, 'conditional-etag').ok).toBe(true);
        }
      },
    );

    it('the edge answers 304 to the old ETag though it serves a new one: conditional-etag fails', async () => {
      const target = serves('/app.js', NEW);
      edge.routes.set('/app.js', file(NEW, { etag: '"v2"', always304: true }));
      const snapshots = new Map([[target.url, snapshot(OLD, '"v1"')]]);
      const report = await verify([target], { snapshots, timeoutMs: 0 });
      expect(check(report.urls[0] as UrlReport, 'conditional-etag')).toMatchObject({
        ok: false,
        seen: '304',
        message:
          'If-None-Match: "v1" (the old ETag) gets 304: a browser holding it keeps the old file',
      });
    });

    it('a file whose snapshot already had the new bytes is not asked conditionally, unless its validator was kept', async () => {
      const target = serves('/app.js', NEW);
      edge.routes.set('/app.js', file(NEW, { etag: '"v1"' }));
      const snapshots = new Map([[target.url, snapshot(NEW, '"v1"')]]);
      expect((await verify([target], { snapshots })).ok).toBe(true);
      const kept = serves('/app.js', NEW, { validatorKept: true });
      const report = await verify([kept], { snapshots });
      expect(check(report.urls[0] as UrlReport, 'etag-changed').ok).toBe(false);
    });
  });

  describe('conditional-date', () => {
    const OLD_DATE = 'Mon, 01 Jan 2024 00:00:00 GMT';
    it('Last-Modified moved on: If-Modified-Since with the old date gets 200 and the new body', async () => {
      const target = serves('/app.js', NEW);
      edge.routes.set('/app.js', file(NEW, { lastModified: 'Tue, 02 Jan 2024 00:00:00 GMT' }));
      const report = await verify([target], {
        snapshots: new Map([[target.url, snapshot(OLD, undefined, OLD_DATE)]]),
      });
      expect(check(report.urls[0] as UrlReport, 'conditional-date')).toMatchObject({
        ok: true,
        seen: expect.stringMatching(/^200/),
      });
    });

    it('Last-Modified kept (cp -p): 304, final, naming the fix', async () => {
      const target = serves('/app.js', NEW);
      edge.routes.set('/app.js', file(NEW, { lastModified: OLD_DATE }));
      const report = await verify([target], {
        snapshots: new Map([[target.url, snapshot(OLD, undefined, OLD_DATE)]]),
      });
      const url = report.urls[0] as UrlReport;
      expect(url.attempts).toBe(1);
      expect(check(url, 'conditional-date')).toMatchObject({
        ok: false,
        seen: '304',
        message: expect.stringContaining(
          'did not move past it though the content changed (fix: "touch")',
        ),
      });
    });
  });

  describe('origin and the diagnosis', () => {
    it.each([
      {
        edgeBody: OLD,
        originBody: OLD,
        diagnosis: 'origin-stale',
        reason: 'the origin serves other bytes: the upload did not reach the origin',
      },
      {
        edgeBody: OLD,
        originBody: NEW,
        diagnosis: 'edge-stale',
        reason: 'the edge still serves the previous body: the purge did not take at the edge',
      },
      { edgeBody: NEW, originBody: NEW, diagnosis: 'fresh', reason: undefined },
      {
        edgeBody: NEW,
        originBody: OLD,
        diagnosis: 'origin-stale',
        reason: 'the origin serves other bytes: the upload did not reach the origin',
      },
    ])(
      'edge $edgeBody, origin $originBody → $diagnosis',
      async ({ edgeBody, originBody, diagnosis, reason }) => {
        const target = serves('/app.js', NEW);
        edge.routes.set('/app.js', file(edgeBody));
        origin.routes.set('/app.js', file(originBody));
        const report = await verify([target], {
          withOrigin: true,
          timeoutMs: 0,
          snapshots: new Map([[target.url, snapshot(OLD)]]),
        });
        const url = report.urls[0] as UrlReport;
        expect(url.diagnosis).toBe(diagnosis);
        expect(url.reason).toBe(reason);
        expect(check(url, 'origin').ok).toBe(originBody === NEW);
        if (reason !== undefined)
          expect(report.stale).toEqual([{ url: target.url, reason, diagnosis }]);
      },
    );

    it('without verify.origin a stale URL is "unknown", a fresh one "fresh"', async () => {
      edge.routes.set('/old.js', file(OLD));
      edge.routes.set('/new.js', file(NEW));
      const report = await verify([serves('/old.js', NEW), serves('/new.js', NEW)], {
        timeoutMs: 0,
      });
      expect(report.urls.map((u) => u.diagnosis)).toEqual(['unknown', 'fresh']);
      expect(report.urls.flatMap(ids)).not.toContain('origin');
    });

    it('an unreachable origin fails the origin check; the diagnosis is unknown', async () => {
      edge.routes.set('/app.js', file(NEW));
      const report = await verify([serves('/app.js', NEW)], {
        timeoutMs: 0,
        origin: { client: originClient, baseUrl: 'http://127.0.0.1:9' },
      });
      expect(report.stale[0]).toMatchObject({
        reason: 'the origin (verify.origin) could not be reached: ECONNREFUSED',
        diagnosis: 'unknown',
      });
    });

    it('a stale precompressed variant at the origin (fresh plain file) is origin-stale', async () => {
      edge.routes.set('/app.js', file(OLD, { gzip: gzipSync(OLD) }));
      origin.routes.set('/app.js', file(NEW, { gzip: gzipSync(OLD) }));
      const report = await verify([serves('/app.js', NEW)], { withOrigin: true, timeoutMs: 0 });
      expect(report.stale[0]?.diagnosis).toBe('origin-stale');
      expect(report.stale[0]?.reason).toContain("the origin's gzip variant is stale");
    });

    it('the origin base path prefixes the public path', async () => {
      edge.routes.set('/app.js', file(NEW));
      origin.routes.set('/site/app.js', file(NEW));
      const report = await verify([serves('/app.js', NEW)], {
        origin: { client: originClient, baseUrl: `${origin.url}/site/` },
      });
      expect(report.ok).toBe(true);
      expect(origin.requests.map((r) => r.path)).toEqual(['/site/app.js']);
    });
  });

  describe('cache-policy', () => {
    it('HTML with a year-long max-age is an error, final: one look', async () => {
      edge.routes.set(
        '/index.html',
        file('<h1>hi</h1>', { type: 'text/html', cacheControl: 'public, max-age=31536000' }),
      );
      const report = await verify([serves('/index.html', '<h1>hi</h1>')]);
      const url = report.urls[0] as UrlReport;
      expect(url.attempts).toBe(1);
      expect(check(url, 'cache-policy')).toMatchObject({
        ok: false,
        severity: 'error',
        seen: 'public, max-age=31536000',
      });
      expect(url.reason).toMatch(/HTML must revalidate/);
      expect(report.ok).toBe(false);
    });

    it('a configured rule is enforced', async () => {
      edge.routes.set('/a.js', file(NEW, { cacheControl: 'max-age=60' }));
      const report = await verify([serves('/a.js', NEW)], {
        policy: [{ match: '**/*.js', cacheControl: 'max-age=300' }],
      });
      expect(check(report.urls[0] as UrlReport, 'cache-policy')).toMatchObject({
        ok: false,
        severity: 'error',
        expected: 'max-age=300',
      });
    });

    it('an un-hashed asset with a long max-age is a warning: the URL stays fresh, warnings[] has it', async () => {
      edge.routes.set(
        '/app.js',
        file(NEW, { cacheControl: 'public, max-age=31536000, immutable' }),
      );
      edge.routes.set(
        '/app.3f9a1c2b.js',
        file(NEW, { cacheControl: 'public, max-age=31536000, immutable' }),
      );
      const report = await verify([serves('/app.js', NEW), serves('/app.3f9a1c2b.js', NEW)]);
      expect(report.ok).toBe(true);
      expect(report.warnings).toHaveLength(1);
      expect(report.warnings[0]).toMatchObject({
        id: 'cache-policy',
        severity: 'warning',
        url: `http://${HOST}/app.js`,
      });
      expect(check(report.urls[1] as UrlReport, 'cache-policy').ok).toBe(true);
    });

    it('is not judged on an old object still cached (the body is stale)', async () => {
      edge.routes.set(
        '/index.html',
        file('old', { type: 'text/html', cacheControl: 'max-age=31536000' }),
      );
      const report = await verify([serves('/index.html', 'new')], { timeoutMs: 300 });
      expect(ids(report.urls[0] as UrlReport)).not.toContain('cache-policy');
      expect(report.urls[0]?.attempts).toBeGreaterThan(1);
    });
  });

  describe('removed', () => {
    const removed = (path: string): VerifyTarget => ({
      kind: 'removed',
      url: `http://${HOST}${path}`,
      path: path.slice(1),
    });
    it.each([404, 410])('%i passes', async (status) => {
      edge.routes.set('/gone.txt', (_req, res) => res.writeHead(status).end());
      const report = await verify([removed('/gone.txt')]);
      expect(report.ok).toBe(true);
      expect(check(report.urls[0] as UrlReport, 'removed')).toMatchObject({
        ok: true,
        seen: String(status),
      });
    });
    it('200 (still cached) fails; with the origin 404 it is edge-stale', async () => {
      edge.routes.set(
        '/gone.txt',
        file('old', { type: 'text/plain', headers: { 'x-cache': 'HIT' } }),
      );
      const report = await verify([removed('/gone.txt')], { withOrigin: true, timeoutMs: 0 });
      expect(report.stale).toEqual([
        {
          url: `http://${HOST}/gone.txt`,
          reason: 'removed file still answers 200 at the edge: the purge did not take at the edge',
          diagnosis: 'edge-stale',
        },
      ]);
      expect(report.urls[0]?.cache).toEqual({ 'x-cache': 'HIT' });
    });
  });

  describe('redirect', () => {
    it('a relative chain is followed (≤ 5 hops); the other checks run on the final URL', async () => {
      edge.routes.set('/guide', redirect(301, '/guide/'));
      edge.routes.set('/guide/', redirect(302, 'intro/'));
      edge.routes.set(
        '/guide/intro/',
        file('<h1>intro</h1>', { type: 'text/html', cacheControl: 'no-cache' }),
      );
      const report = await verify([serves('/guide', '<h1>intro</h1>')]);
      const url = report.urls[0] as UrlReport;
      expect(report.ok).toBe(true);
      expect(url.finalUrl).toBe(`http://${HOST}/guide/intro/`);
      expect(check(url, 'redirect')).toMatchObject({
        ok: true,
        url: `http://${HOST}/guide`,
        seen: `http://${HOST}/guide → 301 http://${HOST}/guide/ → 302 http://${HOST}/guide/intro/ → 200`,
      });
      expect(check(url, 'body').url).toBe(`http://${HOST}/guide/intro/`);
    });

    it('an absolute Location to another host still honours connect-to', async () => {
      const other = createHttpClient({
        connectTo: parseConnectTo([
          `${HOST}:80:127.0.0.1:${edge.port}`,
          `static.example.test:80:127.0.0.1:${edge.port}`,
        ]),
      });
      try {
        edge.routes.set('/app.js', redirect(308, 'http://static.example.test/cdn/app.js'));
        edge.routes.set('/cdn/app.js', file(NEW));
        const report = await verifyRelease(other, [serves('/app.js', NEW)], new Map(), {
          timeoutMs: 0,
          concurrency: 1,
          signal: AbortSignal.timeout(5000),
          log: silentLogger,
        });
        expect(report.ok).toBe(true);
        expect(report.urls[0]?.finalUrl).toBe('http://static.example.test/cdn/app.js');
        expect(edge.requests.map((r) => [r.path, r.headers.host])).toEqual([
          ['/app.js', HOST],
          ['/cdn/app.js', 'static.example.test'],
        ]);
      } finally {
        await other.close();
      }
    });

    it('a loop fails the redirect check', async () => {
      edge.routes.set('/a', redirect(301, '/b'));
      edge.routes.set('/b', redirect(301, '/a'));
      const report = await verify([serves('/a', NEW)], { timeoutMs: 0 });
      expect(report.stale[0]?.reason).toBe(
        `redirects not followed to the end: redirect loop back to http://${HOST}/a`,
      );
    });

    it('more than 5 hops fails the redirect check', async () => {
      for (let i = 0; i < 7; i++) edge.routes.set(`/r${i}`, redirect(302, `/r${i + 1}`));
      edge.routes.set('/r7', file(NEW));
      const report = await verify([serves('/r0', NEW)], { timeoutMs: 0 });
      expect(check(report.urls[0] as UrlReport, 'redirect')).toMatchObject({
        ok: false,
        message: 'redirects not followed to the end: more than 5 redirects',
      });
      const five = await verify([serves('/r2', NEW)], { timeoutMs: 0 });
      expect(five.ok).toBe(true);
    });
  });

  describe('the validators browsers hold (recorded with the baseline)', () => {
    const RECORDED = '(the ETag browsers hold: recorded when the previous release was verified)';
    const url = `http://${HOST}/app.js`;

    it('the snapshot already held the new bytes (a failed run), the record still asks with the old ETag: 304 fails naming it', async () => {
      const target = serves('/app.js', NEW);
      // After a failed `--fix none` run and a touch: the edge serves the new bytes under "v2",
      // but a cache still answers 304 to the ETag browsers hold with the old bytes.
      edge.routes.set('/app.js', file(NEW, { etag: '"v2"', always304: true }));
      const snapshots = new Map([[target.url, snapshot(NEW, '"v2"')]]);
      const without = await verify([target], { snapshots, timeoutMs: 0 });
      expect(without.ok).toBe(true);
      expect(ids(without.urls[0] as UrlReport)).not.toContain('conditional-etag');

      const report = await verify([target], {
        snapshots,
        timeoutMs: 0,
        held: { [url]: { etag: '"v1"' } },
      });
      expect(report.ok).toBe(false);
      expect(check(report.urls[0] as UrlReport, 'conditional-etag')).toMatchObject({
        ok: false,
        seen: '304',
        sent: `If-None-Match: "v1" ${RECORDED}`,
        message: `If-None-Match: "v1" ${RECORDED} gets 304: a browser holding it keeps the old file`,
      });
      expect(report.stale[0]?.reason).toContain('"v1"');
    });

    it('asks with the recorded ETag and date whatever the snapshot found (none here): 200 passes, naming what was sent', async () => {
      const target = serves('/app.js', NEW);
      edge.routes.set(
        '/app.js',
        file(NEW, { etag: '"v2"', lastModified: 'Tue, 02 Jan 2024 00:00:00 GMT' }),
      );
      const report = await verify([target], {
        held: { [url]: { etag: '"v1"', lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT' } },
      });
      const result = report.urls[0] as UrlReport;
      expect(report.ok).toBe(true);
      expect(ids(result)).toEqual([
        'body',
        'etag-changed',
        'conditional-etag',
        'conditional-date',
        'cache-policy',
      ]);
      expect(check(result, 'conditional-etag')).toMatchObject({
        ok: true,
        sent: `If-None-Match: "v1" ${RECORDED}`,
      });
      expect(check(result, 'conditional-date').sent).toContain('Mon, 01 Jan 2024 00:00:00 GMT');
      // What the baseline will record for the URL: the validators served with the new bytes.
      expect(result.validators).toEqual({
        etag: '"v2"',
        lastModified: 'Tue, 02 Jan 2024 00:00:00 GMT',
      });
      expect(report.notes).toBeUndefined();
    });

    it('the recorded and the snapshot ETag, when equal, are asked once; when not, both', async () => {
      const target = serves('/app.js', NEW);
      edge.routes.set('/app.js', file(NEW, { etag: '"v3"' }));
      const held = { [url]: { etag: '"v1"' } };
      const once = await verify([target], {
        held,
        snapshots: new Map([[target.url, snapshot(OLD, 'W/"v1"')]]),
      });
      expect(ids(once.urls[0] as UrlReport)).toEqual([
        'body',
        'etag-changed',
        'conditional-etag',
        'cache-policy',
      ]);
      edge.requests.length = 0;
      const both = await verify([target], {
        held,
        snapshots: new Map([[target.url, snapshot(NEW, '"v2"')]]),
      });
      expect(both.ok).toBe(true);
      expect(edge.requests.map((r) => r.headers['if-none-match'])).toEqual([
        undefined,
        '"v1"',
        '"v2"',
      ]);
    });

    it('an added file is not asked with a record (it had none); a first deploy says so in a note', async () => {
      edge.routes.set('/app.js', file(NEW, { etag: '"v2"' }));
      const report = await verify([serves('/app.js', NEW, { changed: false })], { held: {} });
      expect(report.ok).toBe(true);
      expect(report.notes).toEqual([NO_RECORDED_VALIDATORS]);
      expect(edge.requests).toHaveLength(1);
      // `edgepurge verify` passes no record: nothing to note.
      expect((await verify([serves('/app.js', NEW)])).notes).toBeUndefined();
    });

    it('a changed URL missing from a non-empty record is noted', async () => {
      edge.routes.set('/app.js', file(NEW, { etag: '"v2"' }));
      const report = await verify([serves('/app.js', NEW)], {
        held: { [`http://${HOST}/other.js`]: { etag: '"x"' } },
      });
      expect(report.notes).toEqual([
        '1 changed URL had no validators recorded with the baseline: asked conditionally only with what the edge served before the purge',
      ]);
    });
  });

  describe('verify says why an ETag is not the predicted one (the origin model)', () => {
    const SIZE = Buffer.byteLength(NEW);
    const BEFORE_MS = Date.parse('2024-01-01T00:00:00Z');
    const TOUCHED_MS = Date.parse('2024-03-01T00:00:00Z');
    const fileOf = (mtimeMs: number): FileEntry => ({
      size: SIZE,
      mtimeMs,
      sha256: sha(NEW),
      type: 'application/javascript',
    });
    const manifest = (entry: FileEntry, sha256 = entry.sha256): PackedManifest =>
      packManifest({
        version: 2,
        generator: 't',
        createdAt: '',
        files: { 'app.js': { ...entry, sha256 } },
      } satisfies Manifest);
    // cp -p kept release 1's size and mtime; the touch moved the mtime; the upload dropped it.
    const model = {
      style: 'nginx' as const,
      release: manifest(fileOf(TOUCHED_MS)),
      scanned: manifest(fileOf(BEFORE_MS)),
      previous: manifest(fileOf(BEFORE_MS), sha(OLD)),
    };
    const preTouch = predictEtag('nginx', { size: SIZE, mtimeMs: BEFORE_MS }) as string;
    const url = `http://${HOST}/app.js`;

    it('the origin still serves the pre-touch ETag: etag-changed fails, final, and says the upload did not keep mtimes', async () => {
      edge.routes.set('/app.js', file(NEW, { etag: preTouch }));
      origin.routes.set('/app.js', file(NEW, { etag: preTouch }));
      const report = await verify([serves('/app.js', NEW)], {
        withOrigin: true,
        held: { [url]: { etag: preTouch } },
        model,
      });
      const result = report.urls[0] as UrlReport;
      expect(result.attempts).toBe(1);
      expect(check(result, 'etag-changed')).toMatchObject({
        ok: false,
        seen: preTouch,
        message: expect.stringContaining(
          'why: origin still serves the pre-touch ETag: the upload did not keep mtimes (rsync without --times / -a?)',
        ),
      });
    });

    it('without an origin, the edge is named; with the predicted ETag nothing is added', async () => {
      edge.routes.set('/app.js', file(NEW, { etag: preTouch }));
      const report = await verify([serves('/app.js', NEW)], {
        held: { [url]: { etag: preTouch } },
        model,
      });
      expect(check(report.urls[0] as UrlReport, 'etag-changed').message).toContain(
        'why: edge still serves the pre-touch ETag',
      );
      const predicted = predictEtag('nginx', fileOf(TOUCHED_MS)) as string;
      edge.routes.set('/app.js', file(NEW, { etag: predicted, always304: true }));
      const stale = await verify([serves('/app.js', NEW)], {
        held: { [url]: { etag: preTouch } },
        model,
        timeoutMs: 0,
      });
      const conditional = check(stale.urls[0] as UrlReport, 'conditional-etag');
      expect(conditional.ok).toBe(false);
      expect(conditional.message).not.toContain('why:');
    });

    it("a stale body under the previous release's ETag says the purge did not reach the edge", async () => {
      edge.routes.set('/app.js', file(OLD, { etag: preTouch }));
      const report = await verify([serves('/app.js', NEW)], { model, timeoutMs: 0 });
      expect(check(report.urls[0] as UrlReport, 'body').message).toContain(
        'why: edge still serves the pre-touch ETag',
      );
    });
  });

  it('reports every URL with its checks, in the order given, with durations from the clock', async () => {
    edge.routes.set('/a.js', file(NEW));
    edge.routes.set('/b.js', file(OLD));
    const report = await verify([serves('/a.js', NEW), serves('/b.js', NEW)], { timeoutMs: 500 });
    expect(report.urls.map((u) => [u.url, u.fresh])).toEqual([
      [`http://${HOST}/a.js`, true],
      [`http://${HOST}/b.js`, false],
    ]);
    expect(report.checked).toBe(2);
    expect(Date.parse(report.startedAt)).not.toBeNaN();
    expect(report.durationMs).toBeGreaterThan(0);
  });
});
