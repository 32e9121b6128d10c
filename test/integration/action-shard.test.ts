import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInputs } from '../../src/action/read-inputs.ts';
import type { DemoEdge } from '../../src/demo/edge-proxy.ts';
import { type ActionSite, startActionSite } from '../support/action-site.ts';
import { FAKE_GITHUB_TOKEN, type FakeGitHub } from '../support/fake-github.ts';
import { type RunnerFiles, runAction } from '../support/run-action.ts';
import { runMain } from '../support/run-main.ts';

const HOST = 'www.example.test';
type Url = { url: string };

// The Action's `shard` input (`verify --shard I/N` in a matrix), run as the runner runs the step
// against the embedded origin + caching edge and the GitHub fake: two shards check disjoint
// URL sets whose union is the whole run, and `edgepurge report merge` takes their JSON documents.
describe('the Action with shard: I/N', () => {
  let files: RunnerFiles;
  let edge: DemoEdge;
  let github: FakeGitHub;

  let site: ActionSite;

  beforeAll(async () => {
    site = await startActionSite(HOST);
    ({ files, edge, github } = site);
  });
  afterAll(async () => {
    await site.close();
    expect(github.violations).toEqual([]);
  });

  const run = (inputs: Record<string, string>) =>
    runAction({
      files,
      inputs: { 'github-token': FAKE_GITHUB_TOKEN, ...inputs },
      event: { name: 'workflow_dispatch' },
      env: { GITHUB_API_URL: github.url },
    });
  const documentOf = async (path: string | undefined) =>
    JSON.parse(await readFile(path as string, 'utf8'));

  it('shard 1/2 and 2/2 check disjoint URLs whose union is the whole; each says which part it is; the reports merge', async () => {
    const whole = await run({ command: 'verify' });
    expect(whole.code, whole.stdout + whole.stderr).toBe(0);
    const all = await documentOf(whole.outputs.json);
    expect(all.shard).toBeUndefined();
    const allUrls: string[] = all.urls.map((u: Url) => u.url);
    expect(allUrls.length).toBeGreaterThan(2);
    // The unsharded verify sets the commit status; the shards below add none.
    const statuses = github.statuses.length;
    expect(statuses).toBe(2);

    const shards = [];
    for (const index of [1, 2]) {
      const result = await run({ command: 'verify', shard: `${index}/2` });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const document = await documentOf(result.outputs.json);
      expect(document.shard).toMatchObject({
        index,
        count: 2,
        total: allUrls.length,
        release: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(result.outputs).toMatchObject({
        ok: 'true',
        stale: '0',
        verified: String(document.checked),
      });
      // What the CLI's verify says about its shard, in the log and the step summary.
      expect(result.stdout).toContain(
        `shard ${index}/2: ${document.checked} of ${allUrls.length} URLs`,
      );
      expect(result.summary).toContain(
        `shard ${index} of 2 (release ${document.shard.release.slice(0, 12)}): this report covers its part of ${allUrls.length} URLs`,
      );
      const copy = join(files.root, `shard-${index}.json`);
      await copyFile(result.outputs.json as string, copy);
      shards.push({ document, copy });
    }
    const [one, two] = shards.map(({ document }) => document.urls.map((u: Url) => u.url));
    expect(one.length).toBeGreaterThan(0);
    expect(two.length).toBeGreaterThan(0);
    expect(one.filter((url: string) => two.includes(url))).toEqual([]);
    expect([...one, ...two].sort()).toEqual([...allUrls].sort());
    expect(Number(shards[0]?.document.checked) + Number(shards[1]?.document.checked)).toBe(
      all.checked,
    );
    expect(github.statuses.length).toBe(statuses);

    const merge = await runMain(['report', 'merge', ...shards.map((s) => s.copy), '--json'], {
      cwd: files.root,
    });
    expect(merge.code, merge.stderr).toBe(0);
    const merged = JSON.parse(merge.stdout);
    expect(merged).toMatchObject({ ok: true, checked: all.checked, merged: { count: 2 } });
    expect(merged.urls.map((u: Url) => u.url).sort()).toEqual([...allUrls].sort());
    expect(edge.stats().purges).toBe(0);
  });

  it.each([
    { value: 'x', text: 'is not of the form I/N' },
    { value: '0/2', text: 'I must be 1 to N (2)' },
    { value: '3/2', text: 'I must be 1 to N (2)' },
    { value: '1/0', text: 'N must be 1 to 256' },
  ])(
    'shard: $value with command verify → exit 2 naming the input, with a hint; nothing checked',
    async ({ value, text }) => {
      const before = { github: github.server.requests.length, edge: edge.stats() };
      const result = await run({ command: 'verify', shard: value });
      expect(result.code, result.stdout + result.stderr).toBe(2);
      const failure = result.stdout.split('\n').find((line) => line.startsWith('::error::'));
      expect(failure, result.stdout).toBeDefined();
      expect(failure).toContain(`input "shard" "${value}"`);
      expect(failure).toContain(text);
      expect(failure).toContain('hint: give the part and the number of parts');
      expect(failure).toContain('shard: 1/4');
      expect(failure).not.toMatch(/this is a bug|--shard/);
      expect(result.outputs.ok).toBe('false');
      expect(github.server.requests.length).toBe(before.github);
      expect(edge.stats()).toEqual(before.edge);
    },
  );

  it.each([
    { command: 'deploy' },
    { command: 'plan' },
    { command: 'purge' },
    // auto is deploy on this event, plan on a pull request: never verify.
    { command: 'auto' },
  ])(
    'shard with command $command → exit 2 naming the input: shard applies to command: verify; nothing sent',
    async ({ command }) => {
      const before = { github: github.server.requests.length, edge: edge.stats() };
      const result = await run({ command, shard: '1/2', urls: '/index.html' });
      expect(result.code, result.stdout + result.stderr).toBe(2);
      const failure = result.stdout.split('\n').find((line) => line.startsWith('::error::'));
      expect(failure, result.stdout).toBeDefined();
      expect(failure).toContain(`input "shard" is "1/2" with command "${command}"`);
      expect(failure).toContain('hint: shard applies to command: verify');
      expect(result.summary).toContain('shard applies to command: verify');
      expect(github.server.requests.length).toBe(before.github);
      expect(edge.stats()).toEqual(before.edge);
    },
  );
});

describe('the shard input, parsed (in-process, pure)', () => {
  const inputs = (values: Record<string, string>) => readInputs((name) => values[name] ?? '');

  it('is parsed as the CLI parses --shard; left out, there is none', () => {
    expect(inputs({ command: 'verify', shard: '2/4' }).shard).toEqual({ index: 2, count: 4 });
    expect(inputs({ command: 'verify', shard: ' 3 / 3 ' }).shard).toEqual({ index: 3, count: 3 });
    expect(inputs({ command: 'verify' }).shard).toBeUndefined();
    expect(inputs({ command: 'deploy', shard: '  ' }).shard).toBeUndefined();
  });

  it('a bad value or another command is an InputError at "shard" (exit 2)', () => {
    const cases: Record<string, string>[] = [
      { command: 'verify', shard: '5/4' },
      { command: 'deploy', shard: '1/4' },
      { shard: '1/4' },
    ];
    for (const values of cases) {
      expect(() => inputs(values)).toThrowError(
        expect.objectContaining({ name: 'InputError', code: 'E_INPUT', at: 'shard', exitCode: 2 }),
      );
    }
  });
});
