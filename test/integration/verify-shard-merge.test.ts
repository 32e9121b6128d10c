import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoEdge, startEdge } from '../../src/demo/edge-proxy.ts';
import { type DemoServer, startOrigin } from '../../src/demo/origin-server.ts';
import { editSampleSiteInPlace, writeSampleSite } from '../../src/demo/sample-site.ts';
import { type FakeGlobalping, startFakeGlobalping } from '../support/fake-globalping.ts';
import { runMain } from '../support/run-main.ts';

// `verify --shard I/N` on three "runners" and `report merge` of their --json reports, in process
// against the embedded origin and edge (with verify.vantage through the fake Globalping).
describe('verify --shard I/N and report merge', () => {
  const HOST = 'www.example.test';
  let work: string;
  let origin: DemoServer;
  let edge: DemoEdge;
  let globalping: FakeGlobalping;
  type Url = { url: string };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'edgepurge-shard-'));
    await writeSampleSite(join(work, 'site'));
    origin = await startOrigin({ root: join(work, 'site') });
    edge = await startEdge({ origin: origin.url });
    globalping = await startFakeGlobalping({
      pollsUntilDone: 0,
      locations: {
        Europe: {
          probe: { continent: 'EU', country: 'DE', city: 'Frankfurt' },
          upstream: edge.url,
        },
      },
    });
    await writeFile(
      join(work, 'edgepurge.config.json'),
      JSON.stringify({
        dir: 'site',
        baseUrl: `http://${HOST}`,
        verify: {
          connectTo: [`${HOST}:80:127.0.0.1:${edge.port}`],
          timeoutSeconds: 5,
          vantage: { locations: ['Europe'], sample: 4, endpoint: globalping.url },
        },
      }),
    );
  });
  afterAll(async () => {
    await globalping.close();
    await edge.close();
    await origin.close();
    await rm(work, { recursive: true, force: true });
  });

  const verify = (...args: string[]) => runMain(['verify', ...args], { cwd: work });
  const shardTo = async (index: number, file: string) => {
    const run = await verify('--shard', `${index}/3`, '--json');
    await writeFile(join(work, file), run.stdout);
    return { ...run, json: JSON.parse(run.stdout) };
  };

  it('three shards partition the URLs; merged, they are the whole run (vantage sample included)', async () => {
    const whole = await verify('--json');
    expect(whole.code, whole.stderr).toBe(0);
    const all = JSON.parse(whole.stdout);
    expect(all.checked).toBe(10);

    const shards = [
      await shardTo(1, 's1.json'),
      await shardTo(2, 's2.json'),
      await shardTo(3, 's3.json'),
    ];
    for (const [i, shard] of shards.entries()) {
      expect(shard.code, shard.stderr).toBe(0);
      expect(shard.json.shard).toMatchObject({ index: i + 1, count: 3, total: 10 });
      expect(shard.stderr).toContain(`shard ${i + 1}/3: ${shard.json.checked} of 10 URLs`);
    }
    const urls = shards.flatMap((shard) => shard.json.urls.map((u: Url) => u.url));
    expect(urls.sort()).toEqual(all.urls.map((u: Url) => u.url).sort());
    expect(new Set(urls).size).toBe(10);

    const merge = await runMain(
      [
        'report',
        'merge',
        's3.json',
        's1.json',
        's2.json',
        '--out',
        'merged.json',
        '--report',
        'merged.md',
        '--json',
      ],
      { cwd: work },
    );
    expect(merge.code, merge.stderr).toBe(0);
    const merged = JSON.parse(merge.stdout);
    expect(merged).toMatchObject({ ok: true, checked: 10, stale: [], merged: { count: 3 } });
    expect(merged.merged.release).toBe(shards[0]?.json.shard.release);
    expect(JSON.parse(await readFile(join(work, 'merged.json'), 'utf8'))).toEqual(merged);
    // The vantage sample is drawn from the whole run, then split: merged, it is the same sample.
    expect([...merged.vantage.urls].sort()).toEqual([...all.vantage.urls].sort());
    expect(merged.vantage.locations[0]).toMatchObject({ location: 'Europe', fresh: 4, ok: true });
    expect(await readFile(join(work, 'merged.md'), 'utf8')).toContain(
      'merged from 3 shard reports',
    );

    const text = await verify('--shard', '2/3');
    expect(text.stdout).toMatch(/shard 2 of 3 \(release [0-9a-f]{12}\)/);
  });

  it('refuses a shard given twice, a missing shard and a report that is not a shard (exit 2, naming the file)', async () => {
    const twice = await runMain(['report', 'merge', 's1.json', 's2.json', 's1.json'], {
      cwd: work,
    });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('s1.json is shard 1/3, like s1.json: a shard given twice');

    const missing = await runMain(['report', 'merge', 's1.json', 's3.json'], { cwd: work });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('shard 2/3 missing');

    await writeFile(join(work, 'whole.json'), (await verify('--json')).stdout);
    const whole = await runMain(['report', 'merge', 's1.json', 'whole.json'], { cwd: work });
    expect(whole.code).toBe(2);
    expect(whole.stderr).toContain('whole.json is a verify report but not of a shard');

    const absent = await runMain(['report', 'merge', 'nope.json'], { cwd: work });
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain('cannot read nope.json');
  });

  it('a failed shard fails the merged verdict (exit 1)', async () => {
    const failed = JSON.parse(await readFile(join(work, 's2.json'), 'utf8'));
    const [first] = failed.urls as Url[];
    failed.ok = false;
    failed.stale = [{ url: first?.url, reason: 'body differs', diagnosis: 'edge-stale' }];
    await writeFile(join(work, 's2-failed.json'), JSON.stringify(failed));
    const run = await runMain(['report', 'merge', 's1.json', 's2-failed.json', 's3.json'], {
      cwd: work,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`STALE ${first?.url}: body differs`);
    expect(run.stdout).toContain('not verified');
  });

  it('refuses shards of another release, naming the file', async () => {
    await editSampleSiteInPlace(join(work, 'site'));
    await shardTo(3, 's3-next.json');
    const run = await runMain(['report', 'merge', 's1.json', 's2.json', 's3-next.json'], {
      cwd: work,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /s3-next\.json verified release [0-9a-f]{12}, s1\.json release [0-9a-f]{12}: not the same run/,
    );
  });

  it.each([
    ['0/3', 'I must be 1 to N'],
    ['4/3', 'I must be 1 to N (3)'],
    ['two/3', 'is not of the form I/N'],
    ['1/0', 'N must be 1 to 256'],
  ])('--shard %s exits 2 naming --shard, with a hint', async (value, words) => {
    const run = await verify('--shard', value);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--shard "${value}"`);
    expect(run.stderr).toContain(words);
    expect(run.stderr).toContain('hint: give the part and the number of parts');
  });
});
