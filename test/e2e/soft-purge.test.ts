/**
 * Soft purges on real Varnish (examples/varnish/edgepurge.vcl: PURGE + X-Purge-Soft: 1, vmod
 * purge's purge.soft(0s)) in front of real nginx, and why purge.mode "auto" keeps them to URLs
 * whose validator changed.
 *
 * What these tests prove, exactly:
 * - A soft purge keeps the object for its grace (Varnish's default_grace, 10 s here). The first
 *   request after it gets the OLD bytes (a stale hit) and starts one background revalidation
 *   with the stored ETag; when the ETag changed, nginx answers 200 and the object is replaced,
 *   so every later request gets the new bytes without another purge. One stale response per
 *   object is therefore possible; edgepurge's verify polls until fresh, so a deploy still ends
 *   verified (the CLI test below).
 * - When the validator did not change (same size and mtime under nginx's ETag), the background
 *   revalidation answers 304 and Varnish keeps the old bytes as a fresh object: a soft purge
 *   left the edge stale for a whole TTL. A hard purge fixes it. This is the rule's reason.
 */
import { mkdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createVarnishProvider, varnishSchema } from '../../src/providers/varnish.ts';
import { runMain } from '../support/run-main.ts';
import {
  describeE2E,
  type HttpResult,
  httpRequest,
  type Stack,
  startStack,
  writeStackConfig,
} from '../support/stack.ts';

describeE2E(
  'soft purges on Varnish: fresh where the validator changed, stale where it did not',
  () => {
    let stack: Stack | undefined;
    let work = '';
    let root = '';

    beforeAll(async () => {
      work = await mkdtemp(path.join(os.tmpdir(), 'edgepurge-e2e-soft-'));
      root = path.join(work, 'public');
      mkdirSync(root, { recursive: true });
      stack = await startStack({ root });
    });
    afterAll(async () => {
      await stack?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    });

    const s = (): Stack => {
      if (!stack) throw new Error('stack did not start');
      return stack;
    };
    const put = (rel: string, body: string, mtime: Date): string => {
      const file = path.join(root, rel);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, body);
      utimesSync(file, mtime, mtime);
      return file;
    };
    const edge = (
      urlPath: string,
      host: string,
      opts: { method?: string; headers?: Record<string, string> } = {},
    ): Promise<HttpResult> => httpRequest(`${s().edgeUrl}${urlPath}`, { ...opts, host });
    /** The xid of the object that served a response: `X-Varnish: <request> <object>` on a hit. */
    const objectOf = (response: HttpResult): string | undefined =>
      String(response.headers['x-varnish'] ?? '').split(' ')[1];
    /**
     * GETs until the object behind the response is another one than `before` (the background
     * revalidation has landed), at most `tries` times; returns that response.
     */
    async function untilRevalidated(urlPath: string, host: string, before: string) {
      for (let i = 0; i < 100; i++) {
        const response = await edge(urlPath, host);
        const object = objectOf(response);
        if (object !== undefined && object !== before) return response;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`${host}${urlPath}: the background revalidation never landed`);
    }
    /** Caches `urlPath` (MISS then HIT) and returns the object's xid. */
    async function warm(urlPath: string, host: string): Promise<string> {
      expect((await edge(urlPath, host)).headers['x-cache']).toBe('MISS');
      const hit = await edge(urlPath, host);
      expect(hit.headers['x-cache']).toBe('HIT');
      return String(objectOf(hit));
    }

    it('a soft-purged URL whose ETag changed: one stale hit, then the new bytes with no further purge', async () => {
      const host = 'soft-changed.test';
      put('assets/app.js', 'release 1\n', new Date('2024-01-02T03:04:05Z'));
      const object = await warm('/assets/app.js', host);
      const oldEtag = String((await edge('/assets/app.js', host)).headers.etag);
      // Release 2: new bytes and a new mtime, so nginx's "<mtime>-<size>" ETag changes.
      put('assets/app.js', 'release 2\n', new Date('2024-02-02T03:04:05Z'));

      const purge = await edge('/assets/app.js', host, {
        method: 'PURGE',
        headers: { 'x-purge-soft': '1' },
      });
      expect(purge.status).toBe(200);
      expect(purge.headers['soft-purged']).toBe('1');

      // The first request: the stale object, from grace, while Varnish revalidates it.
      const first = await edge('/assets/app.js', host);
      expect(first.body).toBe('release 1\n');
      expect(first.headers['x-cache']).toBe('HIT');
      expect(objectOf(first)).toBe(object);
      // The revalidation got a 200 (the ETag changed): a new object with the new bytes.
      const fresh = await untilRevalidated('/assets/app.js', host, object);
      expect(fresh.body).toBe('release 2\n');
      expect(fresh.headers.etag).not.toBe(oldEtag);
      expect((await edge('/assets/app.js', host)).body).toBe('release 2\n');
    });

    it('the Varnish provider soft-purges a tag (xkey-softpurge): stale once, then fresh', async () => {
      const host = 'soft-tag.test';
      put('tagged/t.js', 'tag v1\n', new Date('2024-01-02T03:04:05Z'));
      const object = await warm('/tagged/t.js', host);
      put('tagged/t.js', 'tag v2\n', new Date('2024-02-02T03:04:05Z'));
      const varnish = createVarnishProvider(
        varnishSchema.parse({ type: 'varnish', endpoints: [s().edgeUrl], softPurge: true }),
      );
      try {
        const batch = { kind: 'tags', tags: ['tagged'], mode: 'soft' } as const;
        expect(varnish.describe?.(batch)).toEqual([
          `PURGE ${s().edgeUrl}/ Host: localhost xkey-softpurge: tagged`,
        ]);
        await varnish.purge(batch, new AbortController().signal);
      } finally {
        await varnish.close?.();
      }
      expect((await edge('/tagged/t.js', host)).body).toBe('tag v1\n');
      expect((await untilRevalidated('/tagged/t.js', host, object)).body).toBe('tag v2\n');
    });

    it('a soft purge of an unchanged validator serves the old bytes on: revalidation answers 304 (the reason for the rule)', async () => {
      const host = 'soft-unchanged.test';
      const mtime = new Date('2024-01-02T03:04:05Z');
      const file = put('assets/same.js', 'AAAA\n', mtime);
      const object = await warm('/assets/same.js', host);
      const etag = String((await edge('/assets/same.js', host)).headers.etag);
      // `cp -p`: new bytes, same size, same mtime: nginx's ETag does not change.
      writeFileSync(file, 'BBBB\n');
      utimesSync(file, statSync(file).atime, mtime);
      const origin = await httpRequest(`${s().originUrl}/assets/same.js`, {
        headers: { 'if-none-match': etag },
      });
      expect(origin.status).toBe(304);

      expect(
        (
          await edge('/assets/same.js', host, {
            method: 'PURGE',
            headers: { 'x-purge-soft': '1' },
          })
        ).status,
      ).toBe(200);
      expect((await edge('/assets/same.js', host)).body).toBe('AAAA\n');
      // The revalidation landed (a new object), and it still holds the OLD bytes: nginx said 304.
      const revalidated = await untilRevalidated('/assets/same.js', host, object);
      expect(revalidated.body).toBe('AAAA\n');
      expect(revalidated.headers.etag).toBe(etag);
      expect((await edge('/assets/same.js', host)).headers['x-cache']).toBe('HIT');
      expect((await edge('/assets/same.js', host)).body).toBe('AAAA\n');

      // A hard purge evicts it: the next request is a miss and gets the new bytes.
      expect((await edge('/assets/same.js', host, { method: 'PURGE' })).status).toBe(200);
      const hard = await edge('/assets/same.js', host);
      expect(hard.headers['x-cache']).toBe('MISS');
      expect(hard.body).toBe('BBBB\n');
    });

    it('deploy with purge.mode auto: the changed file soft, the hazard hard, and verify polls through the stale hit', async () => {
      const host = 'www.soft.test';
      // nginx serves `public/`; the site is `public/deploy`, published under /deploy/.
      const mtime = new Date('2024-03-03T03:03:03Z');
      put('deploy/changed.js', 'changed v1\n', mtime);
      put('deploy/hazard.js', 'hazard v1\n', mtime);
      await writeStackConfig(work, s(), host, {
        dir: 'public/deploy',
        providers: [{ type: 'varnish', endpoints: [s().edgeUrl], softPurge: true }],
        verify: { connectTo: [`${host}:80:127.0.0.1:${s().edgePort}`], timeoutSeconds: 10 },
        urls: { basePath: '/deploy/' },
        baseUrl: `http://${host}`,
      });
      const deploy = async () => {
        const run = await runMain(['deploy', '--json'], { cwd: work });
        expect(run.code, run.stderr).toBe(0);
        return JSON.parse(run.stdout);
      };
      await deploy();
      // Visitors (and the first deploy's verify) cached both.
      for (const urlPath of ['/deploy/changed.js', '/deploy/hazard.js']) {
        await edge(urlPath, host);
        expect((await edge(urlPath, host)).headers['x-cache']).toBe('HIT');
      }

      // changed.js: new bytes and mtime (its ETag changes). hazard.js: `cp -p`, same size and mtime.
      put('deploy/changed.js', 'changed v2 (longer)\n', new Date('2024-04-04T04:04:04Z'));
      put('deploy/hazard.js', 'hazard v2\n', mtime);
      const result = await deploy();
      const entries = result.plan.providers[0].entries;
      expect(entries).toEqual([
        expect.objectContaining({
          kind: 'urls',
          urls: [`http://${host}/deploy/hazard.js`],
          reason: 'hazard',
          mode: 'hard',
          modeReason: 'validator-unchanged',
        }),
        expect.objectContaining({
          kind: 'urls',
          urls: [`http://${host}/deploy/changed.js`],
          reason: 'changed',
          mode: 'soft',
          modeReason: 'validator-changed',
        }),
      ]);
      expect(result.verify.ok).toBe(true);
      // Verify polls: the soft-purged URL's first GET after the purge (verify's own: the snapshot
      // ran before the purge) is the stale hit from grace, so it needs a second attempt; the
      // hard-purged hazard is a miss, fresh at the first.
      const attempts = (url: string) =>
        result.verify.urls.find((u: { url: string }) => u.url === url)?.attempts;
      expect(attempts(`http://${host}/deploy/hazard.js`)).toBe(1);
      expect(attempts(`http://${host}/deploy/changed.js`)).toBeGreaterThan(1);
      expect((await edge('/deploy/changed.js', host)).body).toBe('changed v2 (longer)\n');
      expect((await edge('/deploy/hazard.js', host)).body).toBe('hazard v2\n');
    });

    it('observed: a model that predicts a new validator, an origin that still sends the old one: the soft purge goes hard', async () => {
      const host = 'www.observed.test';
      const mtime = new Date('2024-05-05T05:05:05Z');
      put('observed/app.js', 'observed v1\n', mtime);
      // origin.validators "content" (wrong: nginx's ETags are mtime-size) predicts no hazard, so
      // the plan is soft; verify.origin lets the deploy ask nginx itself before purging.
      await writeStackConfig(work, s(), host, {
        dir: 'public/observed',
        // Its own baseline (and journal): the deploy test above keeps the default one.
        baseline: '.edgepurge/observed.json',
        providers: [{ type: 'varnish', endpoints: [s().edgeUrl], softPurge: true }],
        verify: {
          connectTo: [`${host}:80:127.0.0.1:${s().edgePort}`],
          timeoutSeconds: 2,
          origin: s().originUrl,
        },
        origin: { validators: 'content' },
        fix: 'none',
        urls: { basePath: '/observed/' },
      });
      const deploy = async () => {
        const run = await runMain(['deploy', '--json'], { cwd: work });
        return { ...run, json: JSON.parse(run.stdout) };
      };
      const first = await deploy();
      expect(first.code, first.stderr).toBe(0);
      await edge('/observed/app.js', host);
      expect((await edge('/observed/app.js', host)).headers['x-cache']).toBe('HIT');

      // `cp -p`: new bytes, same size and mtime: nginx's ETag stays, whatever the model says.
      put('observed/app.js', 'observed v2\n', mtime);
      const run = await deploy();
      expect(run.stderr).toMatch(/1 soft purges made hard: the origin still sends the validator/);
      expect(run.json.plan.providers[0].entries).toEqual([
        expect.objectContaining({
          urls: [`http://${host}/observed/app.js`],
          reason: 'changed',
          mode: 'hard',
          modeReason: 'observed-unchanged',
        }),
      ]);
      // Hard-purged, so the edge has the new bytes (a soft purge would have kept v1: see above).
      expect((await edge('/observed/app.js', host)).body).toBe('observed v2\n');
      // Verification still fails, rightly: a browser holding the old ETag gets a 304 for v1.
      expect(run.code).toBe(1);
    });
  },
);
