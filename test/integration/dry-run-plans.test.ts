/**
 * A dry run plans exactly as the real run does, for every provider in the registry: the dry-run
 * wrapper forwards every ability but `purge` (capabilities, the rate budget, checkPrefix,
 * describe, close). The case that once differed: a Cloudflare prefix deeper than its 31-"/"
 * limit, planned as one prefix purge in a dry run and as URL batches for real.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { providerSchema } from '../../src/config/schema.ts';
import type { ManifestDiff } from '../../src/manifest/diff-manifests.ts';
import { deploy } from '../../src/pipeline/deploy.ts';
import { planRelease } from '../../src/pipeline/plan-release.ts';
import { planPurges } from '../../src/plan/plan-purges.ts';
import { isDryRun } from '../../src/providers/dry-run.ts';
import {
  createProviders,
  dryRunProvider,
  PROVIDERS,
  type RecordedCall,
} from '../../src/providers/index.ts';
import { createRedactor } from '../../src/redact.ts';

/** A valid config per registered type; a provider added to the registry must be added here. */
const SAMPLES: Record<string, Record<string, unknown>> = {
  varnish: { type: 'varnish', endpoints: ['http://127.0.0.1:9'] },
  cloudflare: { type: 'cloudflare', zoneId: '0123456789abcdef0123456789abcdef' },
  fastly: { type: 'fastly', serviceId: 'SERVICE', soft: true },
  cloudfront: { type: 'cloudfront', distributionId: 'E2QWRUHAPOMQZL' },
};
const ENV = { CLOUDFLARE_API_TOKEN: 'cf-token-0123456789', FASTLY_API_TOKEN: 'fastly-0123456789' };

// 40 files in a folder 33 levels deep (more "/" than Cloudflare's prefix limit of 31), 40 in a
// shallow one, and a few loose changes.
const DEEP = `${Array.from({ length: 33 }, (_, i) => `d${i}`).join('/')}`;
const files = [
  ...Array.from({ length: 40 }, (_, i) => `${DEEP}/page-${i}.html`),
  ...Array.from({ length: 40 }, (_, i) => `docs/page-${i}.html`),
  'index.html',
  'assets/app.js',
];
const diff: ManifestDiff = {
  added: files.slice(0, 60),
  changed: files.slice(60),
  removed: [],
  unchanged: 0,
  hazards: [{ path: 'assets/app.js', kind: 'validator-unchanged' }],
};
// An unchanged file one level up: only the deepest folder is an exact prefix.
const KEEP = `${DEEP.slice(0, DEEP.lastIndexOf('/'))}/keep.html`;
const input = {
  baseUrl: 'https://www.example.com',
  urls: { cleanUrls: false, basePath: '/' },
  known: [...files, KEEP],
  strategy: { maxCollateral: 0, tags: [{ match: 'docs/**', tag: 'docs' }] },
};

describe('dry run ≡ real run', () => {
  it('has a sample for every provider in the registry', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(PROVIDERS.map((p) => p.type).sort());
  });

  for (const definition of PROVIDERS) {
    it(`${definition.type}: the same plan, and every ability but purge forwarded`, async () => {
      const config = providerSchema.parse(SAMPLES[definition.type]);
      const [real] = createProviders([config], ENV, { redactor: createRedactor() });
      if (real === undefined) throw new Error('no provider');
      const calls: RecordedCall[] = [];
      const dry = dryRunProvider(real, calls);

      expect(planPurges(diff, [dry], input)).toEqual(planPurges(diff, [real], input));
      expect(dry.capabilities).toEqual(real.capabilities);
      expect(dry.capabilities).toEqual(definition.capabilities(config as never));
      for (const ability of Object.keys(real).filter((key) => key !== 'purge')) {
        expect(typeof (dry as unknown as Record<string, unknown>)[ability], ability).toBe(
          typeof (real as unknown as Record<string, unknown>)[ability],
        );
      }
      expect(dry.checkPrefix?.(`www.example.com/${DEEP}/`)).toBe(
        real.checkPrefix?.(`www.example.com/${DEEP}/`),
      );
      expect(isDryRun(dry)).toBe(true);
      expect(isDryRun(real)).toBe(false);

      // purge records and sends nothing (the Varnish endpoint is a closed port).
      const batch = { kind: 'urls' as const, urls: ['https://www.example.com/index.html'] };
      expect(await dry.purge(batch, new AbortController().signal)).toEqual({ requests: 0 });
      expect(calls).toEqual([
        { provider: real.name, batch, requests: real.describe?.(batch) ?? [] },
      ]);
      await dry.close?.();
    });
  }

  it('cloudflare: the deep folder is URL batches in both, never a prefix Cloudflare refuses', () => {
    const [real] = createProviders([providerSchema.parse(SAMPLES.cloudflare)], ENV, {
      redactor: createRedactor(),
    });
    if (real === undefined) throw new Error('no provider');
    const dry = dryRunProvider(real, []);
    const plan = planPurges(diff, [dry], { ...input, strategy: { maxCollateral: 0, tags: [] } });
    const entries = plan.providers[0]?.entries ?? [];
    const prefixes = entries.flatMap((e) => (e.kind === 'prefixes' ? e.prefixes : []));
    expect(prefixes.filter((prefix) => prefix.includes(DEEP))).toEqual([]);
    const deepUrls = entries
      .flatMap((e) => (e.kind === 'urls' ? e.urls : []))
      .filter((url) => url.includes(DEEP));
    expect(deepUrls).toHaveLength(40);

    // What the old wrapper planned, without Cloudflare's prefix check: one prefix it refuses.
    const { checkPrefix: _dropped, ...lossy } = { ...real, checkPrefix: undefined };
    const wrong = planPurges(diff, [lossy], { ...input, strategy: { maxCollateral: 0, tags: [] } });
    expect(wrong.providers[0]?.entries.filter((e) => e.kind === 'prefixes')).toHaveLength(1);
    expect(JSON.stringify(wrong.providers[0]?.entries)).toContain(`www.example.com/${DEEP}/`);
  });

  it('deploy --dry-run plans what plan plans, on every provider at once', async () => {
    const work = await mkdtemp(join(tmpdir(), 'edgepurge-dry-run-'));
    try {
      for (const path of files) {
        await mkdir(join(work, 'site', path, '..'), { recursive: true });
        await writeFile(join(work, 'site', path), `<p>${path}</p>\n`);
      }
      await writeFile(
        join(work, 'edgepurge.config.json'),
        JSON.stringify({
          dir: 'site',
          baseUrl: 'https://www.example.com',
          providers: Object.values(SAMPLES),
        }),
      );
      const config = await loadConfig({ cwd: work, env: {} });
      const log = { info: () => undefined, warn: () => undefined };
      const signal = new AbortController().signal;
      const store = { location: 'none', read: async () => undefined, write: async () => {} };
      const { release } = await planRelease(config, { env: {}, log, signal, store });
      const outcome = await deploy(config, {
        dryRun: true,
        log,
        signal,
        env: {},
        baselineStore: store,
      });
      expect(outcome.plan).toEqual(release.plan);
      expect(outcome.dryRunCalls?.length).toBe(
        release.plan.providers.reduce((sum, p) => sum + p.entries.length, 0),
      );
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
