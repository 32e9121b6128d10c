import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RecordingServer, startRecordingServer } from '../support/recording-server.ts';
import { runCli } from '../support/run-cli.ts';

// Bad input: a clear message naming the key, flag or path at fault, exit 2, and nothing
// changed — no baseline written, no file touched, no purge sent.
describe('bad input exits 2 and changes nothing', () => {
  let work: string;
  let varnish: RecordingServer;
  beforeAll(async () => {
    varnish = await startRecordingServer();
  });
  afterAll(async () => {
    await varnish.close();
  });
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'edgepurge-input-'));
    await mkdir(join(work, 'public'));
    await writeFile(join(work, 'public', 'index.html'), 'hello');
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const good = () => ({
    dir: 'public',
    baseUrl: 'http://www.example.test',
    providers: [{ type: 'varnish', endpoints: [varnish.url] }],
    verify: { timeoutSeconds: 1 },
  });
  const writeConfig = (config: unknown) =>
    writeFile(join(work, 'edgepurge.config.json'), JSON.stringify(config));

  async function expectRefused(args: string[], mentions: string[]) {
    const before = varnish.connections();
    const result = await runCli(args, { cwd: work });
    expect(result.code, result.stderr).toBe(2);
    for (const text of mentions) expect(result.stderr).toContain(text);
    expect(result.stderr).toMatch(/hint: /);
    expect(result.stderr).not.toMatch(/this is a bug|\n\s+at .*\.ts:\d+/);
    expect(varnish.connections()).toBe(before);
    expect(existsSync(join(work, '.edgepurge'))).toBe(false);
    return result;
  }

  type Good = ReturnType<typeof good>;
  it.each([
    {
      name: 'an unknown key',
      config: (g: Good) => ({ ...g, purgeAll: true }),
      mentions: ['purgeAll', 'unknown key'],
    },
    {
      name: 'a missing dir',
      config: (g: Good) => ({ baseUrl: g.baseUrl, providers: [] }),
      mentions: ['dir', 'is required'],
    },
    {
      name: 'an invalid baseUrl',
      config: (g: Good) => ({ ...g, baseUrl: 'www.example.test' }),
      mentions: ['baseUrl'],
    },
    {
      name: 'an unknown provider key',
      config: (g: Good) => ({ ...g, providers: [{ ...g.providers[0], token: 'x' }] }),
      mentions: ['providers[0].token'],
    },
    {
      name: 'a dir that does not exist',
      config: (g: Good) => ({ ...g, dir: 'nope' }),
      mentions: ['nope'],
    },
  ])('deploy with $name', async ({ config, mentions }) => {
    await writeConfig(config(good()));
    await expectRefused(['deploy'], mentions);
  });

  it('deploy --json with bad config prints one JSON error document on stdout', async () => {
    await writeConfig({ ...good(), bogus: 1 });
    const result = await expectRefused(['deploy', '--json'], ['bogus']);
    const document = JSON.parse(result.stdout);
    expect(document).toMatchObject({ ok: false, error: { code: 'E_CONFIG', at: 'bogus' } });
  });

  it('a missing config file names the flag to use', async () => {
    await expectRefused(['deploy'], ['edgepurge.config.json', '--config']);
  });

  it('an unknown flag is named', async () => {
    await writeConfig(good());
    await expectRefused(['deploy', '--dryrun'], ['--dryrun']);
  });

  it.each([
    {
      name: 'another manifest version',
      baseline: { version: 3, files: {} },
      mentions: ['version'],
    },
    {
      // JSON.parse keeps the last of two equal keys: the baseline would silently lose a file.
      name: 'a path listed twice',
      baseline: `{"version": 2, "files": {"a.txt": ${JSON.stringify({ size: 1, mtimeMs: 0, sha256: 'a'.repeat(64), type: 'text/plain' })}, "a.txt": ${JSON.stringify({ size: 2, mtimeMs: 0, sha256: 'b'.repeat(64), type: 'text/plain' })}}}`,
      mentions: ['a.txt', 'listed twice', 'baseline.json'],
    },
    { name: 'malformed JSON', baseline: '{"version": 1, "files": {', mentions: ['not valid JSON'] },
    {
      name: 'a path that climbs out',
      baseline: {
        version: 1,
        files: {
          '../outside.txt': { size: 1, mtimeMs: 0, sha256: 'a'.repeat(64), type: 'text/plain' },
        },
      },
      mentions: ['../outside.txt'],
    },
    {
      name: 'an absolute path',
      baseline: {
        version: 1,
        files: {
          '/etc/passwd': { size: 1, mtimeMs: 0, sha256: 'a'.repeat(64), type: 'text/plain' },
        },
      },
      mentions: ['/etc/passwd'],
    },
  ])('a baseline with $name', async ({ baseline, mentions }) => {
    await writeConfig({ ...good(), baseline: 'state/baseline.json' });
    await mkdir(join(work, 'state'));
    const text = typeof baseline === 'string' ? baseline : JSON.stringify(baseline);
    await writeFile(join(work, 'state', 'baseline.json'), text);
    await expectRefused(['deploy'], mentions);
    expect(await readFile(join(work, 'state', 'baseline.json'), 'utf8')).toBe(text);
    await expectRefused(['touch', 'public', '--baseline', 'state/baseline.json'], mentions);
  });

  it('a symlink that leaves the publish directory', async () => {
    await writeConfig(good());
    await writeFile(join(work, 'secret.txt'), 'secret');
    await symlink(join(work, 'secret.txt'), join(work, 'public', 'leak.txt'));
    await expectRefused(['deploy'], ['leak.txt']);
    await expectRefused(['manifest', 'public'], ['leak.txt']);
  });

  it('a file name that is not valid UTF-8', async () => {
    await writeConfig(good());
    const name = Buffer.concat([
      Buffer.from(join(work, 'public', 'bad-')),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('.txt'),
    ]);
    await writeFile(name, 'x');
    await expectRefused(['deploy'], ['bad-']);
  });

  it.each([
    { args: ['manifest'], mentions: ['missing argument'] },
    { args: ['diff', 'a.json'], mentions: ['missing argument'] },
    { args: ['diff', 'a.json', 'b.json'], mentions: ['a.json'] },
    { args: ['touch', 'public'], mentions: ['--baseline'] },
    { args: ['manifest', 'public', '--base-url', 'ftp://x'], mentions: ['--base-url'] },
    { args: ['frobnicate'], mentions: ['unknown command'] },
  ])('usage: edgepurge $args', async ({ args, mentions }) => {
    await writeConfig(good());
    await expectRefused(args, mentions);
  });

  it('purge with nothing to purge refuses instead of purging everything', async () => {
    await writeConfig(good());
    await expectRefused(['purge'], ['nothing to purge']);
  });
});
