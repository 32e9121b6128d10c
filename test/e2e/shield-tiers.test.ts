/**
 * Tiered caches on real Varnish: an outer Varnish (the edge) in front of an inner one (the
 * shield) in front of nginx, both with examples/varnish/edgepurge.vcl, purged by `edgepurge
 * purge` run in-process. Proves that purging the edge while the shield still holds the old
 * object re-caches the old object at the edge; that purging the shield first (config order)
 * fixes it; and that `shield.repurgeAfterSeconds` fixes the race where the shield is purged
 * after the edge by someone else (Fastly's shield race, in miniature).
 */
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runMain } from '../support/run-main.ts';
import { describeE2E, type HttpResult, httpRequest } from '../support/stack.ts';
import { startVarnishTiers, type VarnishTiers } from '../support/varnish-tiers.ts';

describeE2E('shielded caches: an outer Varnish in front of an inner shield Varnish', () => {
  let tiers: VarnishTiers | undefined;
  let work = '';
  let root = '';

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'edgepurge-e2e-tiers-'));
    root = path.join(work, 'public');
    mkdirSync(root, { recursive: true });
    tiers = await startVarnishTiers(root);
  });
  afterAll(async () => {
    await tiers?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const t = (): VarnishTiers => {
    if (!tiers) throw new Error('tiers did not start');
    return tiers;
  };
  /** Release `n` of `rel`: new bytes and a new mtime (so its ETag changes too). */
  const release = (rel: string, n: number): void => {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `release ${n}\n`);
    const mtime = new Date(Date.UTC(2024, 0, n));
    utimesSync(file, mtime, mtime);
  };
  const visit = (host: string, urlPath: string): Promise<HttpResult> =>
    httpRequest(`${t().outerUrl}${urlPath}`, { host });
  /** Both tiers hold release 1: a visitor's miss filled the shield and the edge. */
  async function cacheBothTiers(host: string, urlPath: string): Promise<void> {
    expect((await visit(host, urlPath)).body).toBe('release 1\n');
    const hit = await visit(host, urlPath);
    expect(hit.headers['x-cache']).toBe('HIT');
    const inner = await httpRequest(`${t().innerUrl}${urlPath}`, { host });
    expect(inner.headers['x-cache']).toBe('HIT');
  }
  /** `edgepurge purge --url …` with these providers, in-process; the parsed --json output. */
  async function purge(host: string, urlPath: string, providers: unknown[], name: string) {
    const config = `${name}.config.json`;
    writeFileSync(
      path.join(work, config),
      JSON.stringify({ dir: 'public', baseUrl: `http://${host}`, providers }),
    );
    const run = await runMain(
      ['purge', '--json', '--config', config, '--url', `http://${host}${urlPath}`],
      { cwd: work },
    );
    expect(run.code, run.stderr).toBe(0);
    return JSON.parse(run.stdout);
  }
  const inner = () => ({ type: 'varnish', name: 'inner', endpoints: [t().innerUrl] });
  const outer = () => ({ type: 'varnish', name: 'outer', endpoints: [t().outerUrl] });

  it('purging only the edge while the shield holds the old object re-caches the old object', async () => {
    const host = 'edge-only.test';
    release('a/app.js', 1);
    await cacheBothTiers(host, '/a/app.js');
    release('a/app.js', 2);

    await purge(host, '/a/app.js', [outer()], 'edge-only');
    // The edge missed, asked the shield, and the shield answered with its old copy...
    const after = await visit(host, '/a/app.js');
    expect(after.headers['x-cache']).toBe('MISS');
    expect(after.body).toBe('release 1\n');
    // ...which the edge has cached again: the purge was undone.
    const later = await visit(host, '/a/app.js');
    expect(later.headers['x-cache']).toBe('HIT');
    expect(later.body).toBe('release 1\n');
  });

  it('inner first (config order) purges the shield, then the edge: fresh, and the report shows the order', async () => {
    const host = 'inner-first.test';
    release('b/app.js', 1);
    await cacheBothTiers(host, '/b/app.js');
    release('b/app.js', 2);

    const result = await purge(host, '/b/app.js', [inner(), outer()], 'inner-first');
    expect(result.purge.rounds).toEqual([
      { provider: 'inner', round: 1, batches: 1 },
      { provider: 'outer', round: 1, batches: 1 },
    ]);
    const after = await visit(host, '/b/app.js');
    expect(after.headers['x-cache']).toBe('MISS');
    expect(after.body).toBe('release 2\n');
  });

  it('shield.repurgeAfterSeconds: the shield purged after the edge by another actor, and the second round makes the edge fresh', async () => {
    const host = 'repurge.test';
    release('c/app.js', 1);
    await cacheBothTiers(host, '/c/app.js');
    release('c/app.js', 2);

    // edgepurge knows only the edge, shielded: round 1, a 2 s wait, round 2.
    const running = purge(
      host,
      '/c/app.js',
      [{ ...outer(), shield: { repurgeAfterSeconds: 2 } }],
      'repurge',
    );
    // A visitor right after round 1 re-caches the old object from the not yet purged shield
    // (the edge answers HIT until round 1 has run)...
    let refilled: HttpResult | undefined;
    for (let i = 0; i < 500 && refilled === undefined; i++) {
      const response = await visit(host, '/c/app.js');
      if (response.headers['x-cache'] === 'MISS') refilled = response;
      else await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(refilled?.body).toBe('release 1\n');
    expect((await visit(host, '/c/app.js')).headers['x-cache']).toBe('HIT');
    // ...then another actor (the shield's own purge, a timer) purges the shield, within the wait.
    const shieldPurge = await httpRequest(`${t().innerUrl}/c/app.js`, { method: 'PURGE', host });
    expect(shieldPurge.status).toBe(200);
    // The edge still serves release 1 from its refill: without round 2 it would for a whole TTL.
    expect((await visit(host, '/c/app.js')).body).toBe('release 1\n');

    const result = await running;
    expect(result.purge.rounds).toEqual([
      { provider: 'outer', round: 1, batches: 1 },
      { provider: 'outer', round: 2, batches: 1, waitedMs: 2000 },
    ]);
    expect(result.plan.providers[0].repurge).toEqual({ afterSeconds: 2 });
    const after = await visit(host, '/c/app.js');
    expect(after.headers['x-cache']).toBe('MISS');
    expect(after.body).toBe('release 2\n');
  });
});
