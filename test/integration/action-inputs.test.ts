import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandFor, readInputs } from '../../src/action/read-inputs.ts';
import { FAKE_GITHUB_TOKEN, type FakeGitHub, startFakeGitHub } from '../support/fake-github.ts';
import { type RecordingServer, startRecordingServer } from '../support/recording-server.ts';
import { type RunnerFiles, runAction, runnerFiles } from '../support/run-action.ts';

// The Action's inputs as the runner passes them (INPUT_<NAME>, hyphens kept), run as the runner
// runs the step: a Node process. A wrong input fails the step naming the input, with a hint,
// before anything is sent to a purge endpoint or to GitHub.
describe('action inputs', () => {
  let files: RunnerFiles;
  let purge: RecordingServer;
  let github: FakeGitHub;
  const CF_TOKEN = 'cf-secret-token-0123456789abcdef';

  beforeAll(async () => {
    files = await runnerFiles();
    purge = await startRecordingServer();
    github = await startFakeGitHub();
    await writeFile(join(files.workspace, 'index.html'), '<h1>home</h1>\n');
    await writeFile(
      join(files.workspace, 'edgepurge.config.json'),
      JSON.stringify({
        dir: '.',
        baseUrl: 'http://www.example.test',
        baseline: '.edgepurge/baseline.json',
        providers: [{ type: 'varnish', endpoints: [purge.url] }],
        verify: { timeoutSeconds: 1 },
      }),
    );
  });
  afterAll(async () => {
    await purge.close();
    await github.close();
  });

  const run = (inputs: Record<string, string>) =>
    runAction({
      files,
      inputs: { 'github-token': FAKE_GITHUB_TOKEN, ...inputs },
      env: { GITHUB_API_URL: github.url, CLOUDFLARE_API_TOKEN: CF_TOKEN },
    });

  it.each([
    { input: 'command', value: 'depoly', hint: 'use one of auto, deploy, plan, verify, purge' },
    { input: 'dry-run', value: 'maybe', hint: 'use true or false' },
    { input: 'comment', value: 'yes please', hint: 'use true or false' },
    { input: 'fix', value: 'rename', hint: 'use touch' },
    {
      input: 'connect-to',
      value: 'www.example.test:80:127.0.0.1:8080\nnot a rule',
      hint: 'HOST1:PORT1:HOST2:PORT2',
    },
    { input: 'base-url', value: 'www.example.test', hint: 'scheme://host' },
    { input: 'report', value: 'report.txt', hint: '.html' },
    { input: 'environment', value: 'prod/eu', hint: 'README' },
    { input: 'config', value: 'missing.json', hint: 'relative to the workspace' },
  ])(
    '$input: $value → exit 2 naming the input, with a hint; nothing sent',
    async ({ input, value, hint }) => {
      const before = { purge: purge.requests.length, github: github.server.requests.length };
      const result = await run({ [input]: value });
      expect(result.code).toBe(2);
      const failure = result.stdout.split('\n').find((line) => line.startsWith('::error::'));
      expect(failure, result.stdout).toBeDefined();
      expect(failure).toContain(input);
      expect(failure).toContain('hint:');
      expect(failure).toContain(hint);
      expect(failure).not.toMatch(/this is a bug|\n\s+at /);
      expect(result.outputs.ok).toBe('false');
      expect(purge.requests.length).toBe(before.purge);
      expect(github.server.requests.length).toBe(before.github);
    },
  );

  // Issue 8 §4 item 3, for the purge step's list inputs: refused naming the input (and the
  // line), with a hint, before anything is sent. A CRLF list is fine; a stray CR is not.
  it.each([
    { input: 'urls', value: '/a.js\r\n/b\r.js', text: 'input "urls" line 2', hint: 'plain text' },
    {
      input: 'urls',
      value: 'http://ops:s3cret@www.example.test/a',
      text: 'user name',
      hint: 'without user info',
    },
    { input: 'prefixes', value: '/assets/?v=2', text: '"?"', hint: 'a prefix is a path' },
    { input: 'tags', value: 'product-1 product-2', text: 'whitespace', hint: 'one tag per' },
    { input: 'hosts', value: 'www.example.test/path', text: 'host[:port]', hint: 'host name' },
  ])(
    'purge $input: $text → exit 2 naming the input; nothing sent',
    async ({ input, value, text, hint }) => {
      const before = { purge: purge.requests.length, github: github.server.requests.length };
      const result = await run({ command: 'purge', [input]: value });
      expect(result.code, result.stdout).toBe(2);
      const failure = result.stdout.split('\n').find((line) => line.startsWith('::error::'));
      expect(failure, result.stdout).toBeDefined();
      expect(failure).toContain(input);
      expect(failure).toContain(text);
      expect(failure).toContain(hint);
      expect(failure).not.toContain('s3cret');
      expect(purge.requests.length).toBe(before.purge);
      expect(github.server.requests.length).toBe(before.github);
    },
  );

  it('masks every credential before printing anything; no output, summary or JSON holds one', async () => {
    const result = await run({ command: 'plan' });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    const masks = lines.filter((line) => line.startsWith('::add-mask::'));
    expect(masks).toEqual([`::add-mask::${CF_TOKEN}`, `::add-mask::${FAKE_GITHUB_TOKEN}`]);
    // The mask commands come first: the runner hides a value only in lines printed after it.
    expect(lines.slice(0, masks.length)).toEqual(masks);
    const rest = [...lines.slice(masks.length), result.stderr, result.summary].join('\n');
    for (const token of [CF_TOKEN, FAKE_GITHUB_TOKEN]) {
      expect(rest).not.toContain(token);
      expect(JSON.stringify(result.outputs)).not.toContain(token);
      expect(await readFile(result.outputs.json as string, 'utf8')).not.toContain(token);
    }
  });
});

describe('command: auto per event, and input defaults (in-process, pure)', () => {
  const inputs = (values: Record<string, string>) => readInputs((name) => values[name] ?? '');

  it.each([
    ['pull_request', 'plan'],
    ['pull_request_target', 'plan'],
    ['push', 'deploy'],
    ['workflow_dispatch', 'deploy'],
    ['deployment', 'deploy'],
    ['schedule', 'deploy'],
  ])('auto on %s → %s', (event, command) => {
    expect(commandFor(inputs({}).command, event)).toBe(command);
    expect(commandFor(inputs({ command: 'auto' }).command, event)).toBe(command);
  });

  it('an explicit command wins over the event', () => {
    expect(commandFor(inputs({ command: 'verify' }).command, 'pull_request')).toBe('verify');
  });

  it('inputs left out take their defaults; lists are newline-separated', () => {
    expect(inputs({})).toMatchObject({
      command: 'auto',
      dryRun: false,
      everything: false,
      comment: true,
      status: true,
      connectTo: [],
      urls: [],
    });
    expect(inputs({ 'dry-run': 'TRUE', comment: 'False' })).toMatchObject({
      dryRun: true,
      comment: false,
    });
    expect(inputs({ urls: '/a\n\n  /b  \n# not this\n' }).urls).toEqual(['/a', '/b']);
    expect(inputs({ tags: 'a\r\nb\r\n' }).tags).toEqual(['a', 'b']);
    expect(inputs({}).environment).toBeUndefined();
  });
});
