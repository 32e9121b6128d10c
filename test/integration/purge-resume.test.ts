/**
 * A deploy killed with SIGKILL in the middle of its Cloudflare purge, then run again: the second
 * run resumes from the journal, sends only what the first did not finish, proves every URL fresh
 * at the "CDN" and saves the baseline. The CDN is the embedded caching edge: the fake API
 * forwards every purged URL to it as `PURGE <path>` with the public Host, so a URL the journal
 * claims purged but that was not would still be stale there, and verification would fail.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DemoEdge, startEdge } from '../../src/demo/edge-proxy.ts';
import { type DemoServer, startOrigin } from '../../src/demo/origin-server.ts';
import {
  type FakeCloudflare,
  type PurgeBody,
  startFakeCloudflare,
} from '../support/fake-cloudflare.ts';
import { BIN, runCli } from '../support/run-cli.ts';
import { httpRequest } from '../support/stack.ts';

const HOST = 'www.example.test';
const ZONE = '0123456789abcdef0123456789abcdef';
const TOKEN = 'cf-resume-token-5a4b3c2d1e0f9a8b7c6d';
const FILES = 300; // 10 batches of 30 (Free plan)
const BATCH = 30;
// The Cloudflare provider keeps this many requests in flight (cloudflareCapabilities).
const IN_FLIGHT = 4;
// The first run is killed when the fake has accepted this many purge requests.
const KILL_AFTER = 6;

const name = (i: number) => `page-${String(i).padStart(3, '0')}.txt`;
const url = (i: number) => `http://${HOST}/${name(i)}`;

describe('deploy killed mid-purge (SIGKILL), then resumed', () => {
  let work: string;
  let origin: DemoServer;
  let edge: DemoEdge;
  let fake: FakeCloudflare;
  let child: ChildProcess | undefined;
  /** What onPurge does besides forwarding to the edge: nothing, or slow down and kill. */
  let mode: { slowMs: number; killAt?: number } = { slowMs: 0 };
  let accepted = 0;
  let pending = 0;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'edgepurge-resume-'));
    await mkdir(join(work, 'site'));
    // At the root, so the planner cannot collapse them into a prefix purge: 10 files batches.
    for (let i = 0; i < FILES; i++) await writeFile(join(work, 'site', name(i)), `r1 ${i}\n`);
    origin = await startOrigin({ root: join(work, 'site') });
    edge = await startEdge({ origin: origin.url });
    accepted = 0;
    pending = 0;
    fake = await startFakeCloudflare({
      token: TOKEN,
      zoneId: ZONE,
      onPurge: async (body: PurgeBody) => {
        pending++;
        try {
          if (mode.slowMs > 0) await delay(mode.slowMs);
          for (const file of body.files ?? []) {
            const target = new URL(typeof file === 'string' ? file : (file.url ?? ''));
            await httpRequest(`${edge.url}${target.pathname}`, {
              method: 'PURGE',
              host: target.host,
            });
          }
          accepted++;
          // Killed before this request's answer leaves the fake: its batch is in flight.
          if (accepted === mode.killAt && child?.pid !== undefined)
            process.kill(child.pid, 'SIGKILL');
        } finally {
          pending--;
        }
      },
    });
    await writeFile(
      join(work, 'edgepurge.config.json'),
      JSON.stringify({
        dir: 'site',
        baseUrl: `http://${HOST}`,
        baseline: 'state/baseline.json',
        providers: [{ type: 'cloudflare', zoneId: ZONE, plan: 'free' }],
        verify: { connectTo: [`${HOST}:80:127.0.0.1:${edge.port}`], timeoutSeconds: 5 },
      }),
    );
  });
  afterEach(async () => {
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
    mode = { slowMs: 0 };
    await fake.server.close();
    await edge.close();
    await origin.close();
    await rm(work, { recursive: true, force: true });
  });

  const env = () => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CLOUDFLARE_API_TOKEN: TOKEN,
    CLOUDFLARE_BASE_URL: fake.url,
  });
  const baseline = () => join(work, 'state', 'baseline.json');
  const journal = () => `${baseline()}.journal`;

  /** Runs `deploy --json` holding the pid, and resolves with how it ended. */
  function spawnDeploy(): Promise<{ code: number | null; signal: string | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const proc = spawn(process.execPath, [BIN, 'deploy', '--json'], {
        cwd: work,
        env: env(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = proc;
      let stderr = '';
      proc.stdout.resume();
      proc.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      proc.on('error', reject);
      proc.on('close', (code, signal) => resolve({ code, signal, stderr }));
    });
  }

  /** URLs the journal lists as applied; a torn last line is skipped, as the CLI does. */
  async function journaled(): Promise<string[]> {
    const lines = (await readFile(journal(), 'utf8')).split('\n').slice(1);
    const urls: string[] = [];
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as { provider: string; kind: string; targets: string[] };
        if (entry.provider === 'cloudflare' && entry.kind === 'urls') urls.push(...entry.targets);
      } catch {
        // torn by the kill
      }
    }
    return urls;
  }

  it('leaves a journal and no baseline; the rerun resumes, skips what was purged and verifies', async () => {
    // Release 1, deployed and verified: the edge now holds every page.
    const first = await runCli(['deploy', '--json'], { cwd: work, env: env() });
    expect(first.code, first.stderr).toBe(0);
    const release1 = await readFile(baseline(), 'utf8');
    expect((await httpRequest(`${edge.url}/${name(0)}`, { host: HOST })).headers['x-cache']).toBe(
      'HIT',
    );
    const beforeRelease2 = fake.purged().files.length;

    // Release 2 changes every page: 300 URLs, 10 requests of 30.
    for (let i = 0; i < FILES; i++)
      await writeFile(join(work, 'site', name(i)), `release 2, ${i}\n`);
    accepted = 0;
    mode = { slowMs: 150, killAt: KILL_AFTER };
    const killed = await spawnDeploy();
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    // Let the requests that were in flight at the kill finish at the fake.
    while (pending > 0) await delay(10);
    mode = { slowMs: 0 };

    expect(await readFile(baseline(), 'utf8')).toBe(release1);
    expect(existsSync(journal())).toBe(true);
    const inJournal = await journaled();
    const acceptedBeforeKill = fake.purged().files.slice(beforeRelease2);
    // With 4 requests in flight, the 6th request was only sent after 2 batches were journaled;
    // the 6th itself never got its answer.
    expect(inJournal.length).toBeGreaterThanOrEqual((KILL_AFTER - IN_FLIGHT) * BATCH);
    expect(inJournal.length).toBeLessThan(KILL_AFTER * BATCH);
    expect(new Set(inJournal).size).toBe(inJournal.length);
    // The journal records only what the API accepted.
    for (const target of inJournal) expect(acceptedBeforeKill).toContain(target);
    // Those URLs really are fresh at the CDN already.
    const done = inJournal[0] ?? '';
    const fresh = await httpRequest(`${edge.url}${new URL(done).pathname}`, { host: HOST });
    expect(fresh.body).toMatch(/^release 2/);

    const resumed = await runCli(['deploy', '--json'], { cwd: work, env: env() });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(
      `purge: resuming an interrupted run; ${inJournal.length} targets were already purged`,
    );
    const json = JSON.parse(resumed.stdout);
    expect(json.diff.changed).toHaveLength(FILES);
    expect(json.purge).toMatchObject({
      skipped: inJournal.length,
      urls: FILES - inJournal.length,
      failed: [],
    });
    expect(json.verify).toMatchObject({ ok: true, checked: FILES, stale: [] });

    // The second run sent exactly what the journal did not hold: nothing it recorded, and
    // nothing twice. Only the batches in flight at the kill were purged by both runs.
    const sentAfterResume = fake.purged().files.slice(beforeRelease2 + acceptedBeforeKill.length);
    const all = Array.from({ length: FILES }, (_, i) => url(i));
    const recorded = new Set(inJournal);
    expect(new Set(sentAfterResume).size).toBe(sentAfterResume.length);
    expect(sentAfterResume.filter((target) => recorded.has(target))).toEqual([]);
    expect([...sentAfterResume].sort()).toEqual(all.filter((target) => !recorded.has(target)));
    const union = new Set([...acceptedBeforeKill, ...sentAfterResume]);
    expect(all.filter((target) => !union.has(target))).toEqual([]);
    const repeated = sentAfterResume.filter((target) => acceptedBeforeKill.includes(target));
    expect(repeated.length).toBeLessThanOrEqual(IN_FLIGHT * BATCH);

    expect(await readFile(baseline(), 'utf8')).not.toBe(release1);
    expect(JSON.parse(await readFile(baseline(), 'utf8')).files[name(0)].size).toBe(
      'release 2, 0\n'.length,
    );
    expect(existsSync(journal())).toBe(false);
    for (const i of [0, 150, FILES - 1]) {
      const served = await httpRequest(`${edge.url}/${name(i)}`, { host: HOST });
      expect(served.body).toBe(`release 2, ${i}\n`);
    }
  });
});
