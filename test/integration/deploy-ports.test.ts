/**
 * deploy() composed from ports: every collaborator injected as one set (providers, baseline
 * store, journal store, HTTP client factory, clock, logger) is the one used, against the
 * embedded origin and caching edge. And the redactor port learns the credentials a provider reads;
 * without one, deploy() makes its own from its env, and the log passes through it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { providerSchema } from '../../src/config/schema.ts';
import { type DemoEdge, startEdge } from '../../src/demo/edge-proxy.ts';
import { type DemoServer, startOrigin } from '../../src/demo/origin-server.ts';
import { writeSampleSite } from '../../src/demo/sample-site.ts';
import type { PackedManifest } from '../../src/manifest/packed-manifest.ts';
import { deploy } from '../../src/pipeline/deploy.ts';
import type { DeployPorts } from '../../src/pipeline/deploy-ports.ts';
import { createProviders } from '../../src/providers/index.ts';
import { noJournal } from '../../src/purge/journal.ts';
import { createHttpClient } from '../../src/verify/http-client.ts';
import { memoryProvider } from '../support/memory-provider.ts';

const HOST = 'www.example.test';

describe('deploy(config, { ports })', () => {
  let work: string;
  let origin: DemoServer;
  let edge: DemoEdge;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'edgepurge-ports-'));
    await writeSampleSite(join(work, 'site'));
    origin = await startOrigin({ root: join(work, 'site') });
    edge = await startEdge({ origin: origin.url });
    await writeFile(
      join(work, 'edgepurge.config.json'),
      JSON.stringify({
        dir: 'site',
        baseUrl: `http://${HOST}`,
        verify: { connectTo: [`${HOST}:80:127.0.0.1:${edge.port}`], timeoutSeconds: 2 },
      }),
    );
  });
  afterEach(async () => {
    await edge.close();
    await origin.close();
    await rm(work, { recursive: true, force: true });
  });

  it('uses every injected port: providers, baseline store, journal store, HTTP clients, logger', async () => {
    const config = await loadConfig({ cwd: work, env: {} });
    const provider = memoryProvider('memory');
    const saved: PackedManifest[] = [];
    const journals: string[] = [];
    let clients = 0;
    const lines: string[] = [];
    const ports: DeployPorts = {
      log: { info: (line) => lines.push(line), warn: (line) => lines.push(line) },
      providers: [provider],
      baselineStore: {
        location: 'memory:baseline',
        read: async () => undefined,
        write: async (manifest) => {
          saved.push(manifest);
        },
      },
      journalStore: {
        open: async (release) => {
          journals.push(release);
          return noJournal;
        },
      },
      httpClient: (options) => {
        clients += 1;
        return createHttpClient(options);
      },
    };
    const outcome = await deploy(config, {
      dryRun: false,
      signal: new AbortController().signal,
      ports,
    });
    expect(outcome.ok, JSON.stringify(outcome.error)).toBe(true);
    expect(outcome.baseline).toEqual({ saved: true, path: 'memory:baseline' });
    expect(saved).toHaveLength(1);
    expect(journals).toHaveLength(1);
    expect(clients).toBeGreaterThan(0);
    expect(provider.applied.length).toBe(outcome.plan.urls);
    expect(lines).toContain('baseline: saved memory:baseline');
  });

  it('the redactor port learns each credential a provider reads, even when only planning', () => {
    const learned: (string | undefined)[] = [];
    const redactor = { register: (secret: string | undefined) => learned.push(secret) };
    const config = providerSchema.parse({
      type: 'cloudflare',
      zoneId: '0123456789abcdef0123456789abcdef',
    });
    createProviders(
      [config],
      { CLOUDFLARE_API_TOKEN: 'cf-token-port-0123' },
      {
        credentials: false,
        redactor,
      },
    );
    expect(learned).toEqual(['cf-token-port-0123']);
  });

  it('without a redactor port, deploy() redacts the credentials of its env from the log', async () => {
    const token = 'fastly-token-port-0123456789';
    await writeFile(
      join(work, 'edgepurge.config.json'),
      JSON.stringify({
        dir: 'site',
        baseUrl: `http://${HOST}`,
        hooks: { upload: `echo uploaded with ${token}` },
        verify: { connectTo: [`${HOST}:80:127.0.0.1:${edge.port}`], timeoutSeconds: 2 },
      }),
    );
    const config = await loadConfig({ cwd: work, env: {} });
    const lines: string[] = [];
    const outcome = await deploy(config, {
      dryRun: false,
      signal: new AbortController().signal,
      ports: {
        log: { info: (line) => lines.push(line), warn: (line) => lines.push(line) },
        providers: [memoryProvider('memory')],
        baselineStore: { location: 'memory', read: async () => undefined, write: async () => {} },
        env: { FASTLY_API_TOKEN: token },
      },
    });
    expect(outcome.ok, JSON.stringify(outcome.error)).toBe(true);
    // The hook's command and its output both held the token: it reached the log, scrubbed.
    expect(lines.filter((line) => line.includes('uploaded with [redacted]')).length).toBe(2);
    expect(lines.join('\n')).not.toContain(token);
  });
});
