/**
 * purge.mode through the Fastly provider and the loopback Fastly API (test/support/fake-fastly.ts,
 * which counts a purge as soft only with `Fastly-Soft-Purge: 1`, as Fastly documents): the plan
 * decides per entry, the provider sends the header on exactly the soft entries.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ManifestDiff } from '../../src/manifest/diff-manifests.ts';
import { planManualPurge, planPurges } from '../../src/plan/plan-purges.ts';
import { createFastlyProvider } from '../../src/providers/fastly.ts';
import { executePlan } from '../../src/purge/execute-plan.ts';
import { type FakeFastly, startFakeFastly } from '../support/fake-fastly.ts';
import { runMain } from '../support/run-main.ts';

const TOKEN = 'fst_live_0123456789abcdefTOKEN';
const SERVICE = 'SU1Z0isxPaozGVKXdv0eY';
const BASE = 'https://www.example.com';
const log = { info: () => {}, warn: () => {} };
const signal = new AbortController().signal;

const fakes: FakeFastly[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.server.close()));
});
async function fastly(): Promise<FakeFastly> {
  const fake = await startFakeFastly({ token: TOKEN, serviceId: SERVICE });
  fakes.push(fake);
  return fake;
}
const provider = (fake: FakeFastly, soft = false) =>
  createFastlyProvider(
    { type: 'fastly', serviceId: SERVICE, soft },
    { token: TOKEN, baseUrl: fake.url },
  );

// app.js changed with its validator; old.js changed while size and mtime did not (a hazard).
const diff: ManifestDiff = {
  added: ['new.css'],
  changed: ['app.js', 'old.js'],
  removed: [],
  unchanged: 3,
  hazards: [{ path: 'old.js', kind: 'validator-unchanged' }],
};
const urls = { cleanUrls: false, basePath: '/' };

describe('Fastly soft purges decided by purge.mode', () => {
  it('auto: soft (Fastly-Soft-Purge: 1) where the validator changed, hard for the hazard', async () => {
    const fake = await fastly();
    const fastlyProvider = provider(fake);
    const plan = planPurges(diff, [fastlyProvider], {
      baseUrl: BASE,
      urls,
      strategy: { maxCollateral: 0, tags: [], mode: 'auto' },
    });
    expect(
      plan.providers[0]?.entries.map((e) => [e.kind === 'urls' ? e.urls : [], e.mode]),
    ).toEqual([
      [[`${BASE}/old.js`], 'hard'],
      [[`${BASE}/app.js`], 'soft'],
      [[`${BASE}/new.css`], 'soft'],
    ]);
    const summary = await executePlan(plan, [fastlyProvider], { signal, log });
    expect(summary.failed).toEqual([]);
    const purged = fake.purged();
    expect(purged.urls.sort()).toEqual([
      'www.example.com/app.js',
      'www.example.com/new.css',
      'www.example.com/old.js',
    ]);
    expect(purged.softTargets.sort()).toEqual([
      'www.example.com/app.js',
      'www.example.com/new.css',
    ]);
    const header = (path: string) =>
      fake.server.requests.find((r) => r.url === `/purge/www.example.com/${path}`)?.headers[
        'fastly-soft-purge'
      ];
    expect(header('app.js')).toBe('1');
    expect(header('old.js')).toBeUndefined();
  });

  it('hard: no Fastly-Soft-Purge header at all', async () => {
    const fake = await fastly();
    const fastlyProvider = provider(fake);
    const plan = planPurges(diff, [fastlyProvider], {
      baseUrl: BASE,
      urls,
      strategy: { maxCollateral: 0, tags: [], mode: 'hard' },
    });
    await executePlan(plan, [fastlyProvider], { signal, log });
    expect(fake.purged()).toMatchObject({ soft: 0, softTargets: [] });
    expect(fake.server.requests.every((r) => r.headers['fastly-soft-purge'] === undefined)).toBe(
      true,
    );
  });

  it('the provider\'s own soft: true is purge.mode "soft": keys soft, the hazard still hard', async () => {
    const fake = await fastly();
    const fastlyProvider = provider(fake, true);
    const plan = planPurges(diff, [fastlyProvider], {
      baseUrl: BASE,
      urls,
      strategy: { maxCollateral: 0, tags: [], mode: 'hard' },
    });
    expect(plan.providers[0]?.mode).toBe('soft');
    await executePlan(plan, [fastlyProvider], { signal, log });
    expect(fake.purged().softTargets.sort()).toEqual([
      'www.example.com/app.js',
      'www.example.com/new.css',
    ]);
    // A manual key purge with the provider's soft: requested, and sent soft.
    const manual = planManualPurge(
      { urls: [], prefixes: [], tags: ['home', 'post-1'] },
      [fastlyProvider],
      BASE,
    );
    expect(manual.plan.providers[0]?.entries[0]).toMatchObject({
      mode: 'soft',
      modeReason: 'requested-soft',
    });
    await executePlan(manual.plan, [fastlyProvider], { signal, log });
    expect(fake.purged().softTargets).toEqual(expect.arrayContaining(['home', 'post-1']));
  });

  it('edgepurge purge --service-id --soft sends Fastly-Soft-Purge: 1; without --soft a manual purge is hard', async () => {
    const fake = await fastly();
    const env = { FASTLY_API_TOKEN: TOKEN, FASTLY_API_URL: fake.url };
    const soft = await runMain(
      ['purge', '--json', '--service-id', SERVICE, '--soft', '--url', `${BASE}/a.js`],
      { cwd: process.cwd(), env },
    );
    expect(soft.code, soft.stderr).toBe(0);
    expect(JSON.parse(soft.stdout).plan.providers[0].entries[0]).toMatchObject({
      mode: 'soft',
      modeReason: 'requested-soft',
    });
    const hard = await runMain(
      ['purge', '--json', '--service-id', SERVICE, '--url', `${BASE}/b.js`],
      { cwd: process.cwd(), env },
    );
    expect(hard.code, hard.stderr).toBe(0);
    expect(JSON.parse(hard.stdout).plan.providers[0].entries[0]).toMatchObject({
      mode: 'hard',
      modeReason: 'unknown-validator',
    });
    expect(fake.purged().softTargets).toEqual(['www.example.com/a.js']);
    expect(fake.purged().urls).toEqual(['www.example.com/a.js', 'www.example.com/b.js']);
  });
});
