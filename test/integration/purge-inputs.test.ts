import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RecordingServer, startRecordingServer } from '../support/recording-server.ts';
import { type MainRun, runMain } from '../support/run-main.ts';

// Issue 8 §4 adversarial item 3: hostile manual purge inputs. Before, CR/LF in --prefix, --tag
// or --host reached an HTTP header and was retried as a network error for 106 s; in --url and
// --file it was silently stripped; `--tag "a b"` purged two tags; `?`/`#` in a Varnish prefix
// was accepted. Each is now exit 2 naming the flag, with a hint, and nothing is sent. In
// process, through `main(argv, io)`, against a loopback server standing in for Varnish.

/** Control characters a terminal would act on, found raw in `text`. */
const raw = (text: string) => [...'\r\u0000\u001b\u009b'].filter((char) => text.includes(char));

describe('edgepurge purge: hostile inputs are refused before anything is sent', () => {
  let work: string;
  let varnish: RecordingServer;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'edgepurge-purge-inputs-'));
    varnish = await startRecordingServer();
  });
  afterAll(async () => {
    await varnish.close();
    await rm(work, { recursive: true, force: true });
  });

  function purge(args: readonly string[], stdin = ''): Promise<MainRun> {
    return runMain(
      [
        'purge',
        '--endpoint',
        varnish.url,
        '--base-url',
        'http://www.example.test',
        '--json',
        ...args,
      ],
      { cwd: work, input: stdin },
    );
  }

  it.each([
    // [what, args, the flag named, words of the message, words of the hint]
    ['CR/LF in --prefix', ['--prefix', '/assets/\r\nX-Evil: 1'], '--prefix', 'CR', 'plain text'],
    ['LF in --tag', ['--tag', 'product\n42'], '--tag', 'LF', 'plain text'],
    ['CR in --host', ['--host', 'www.example.test\r'], '--host', 'CR', 'plain text'],
    ['CR/LF in --url', ['--url', '/assets/\r\napp.js'], '--url', 'CR', 'plain text'],
    ['a tab in --url', ['--url', '/a\tb.js'], '--url', 'a tab', 'plain text'],
    ['NUL in --url', ['--url', '/a\u0000.js'], '--url', 'NUL', 'plain text'],
    ['ESC in --prefix', ['--prefix', '/\u001b[2J/'], '--prefix', 'ESC', 'plain text'],
    ['a C1 control in --tag', ['--tag', 'a\u009bb'], '--tag', 'U+009B', 'plain text'],
    ['a space in --tag', ['--tag', 'product-1 product-2'], '--tag', 'whitespace', 'one tag per'],
    ['a comma in --tag', ['--tag', 'product-1,product-2'], '--tag', 'a comma', 'one tag per'],
    ['an empty --tag', ['--tag', ''], '--tag', 'is empty', 'give a tag'],
    ['a URL as --host', ['--host', 'https://www.example.test'], '--host', 'is a URL', 'host name'],
    ['a path in --host', ['--host', 'www.example.test/a'], '--host', 'host[:port]', 'host name'],
    ['a space in --host', ['--host', 'www example.test'], '--host', 'host[:port]', 'host name'],
    ['user info in --host', ['--host', 'ops@www.example.test'], '--host', 'host[:port]', 'host'],
    ['a bad port in --host', ['--host', 'www.example.test:99999'], '--host', 'host[:port]', ''],
    ['"?" in a --prefix path', ['--prefix', '/assets/?v=1'], '--prefix', '"?"', 'a query'],
    ['"#" in a --prefix path', ['--prefix', '/assets/#top'], '--prefix', '"#"', 'a fragment'],
    ['"?" in a host --prefix', ['--prefix', 'www.example.test/a?b'], '--prefix', '"?"', 'query'],
    ['a space in --prefix', ['--prefix', '/my assets/'], '--prefix', 'whitespace', 'a path'],
    ['a bad host in --prefix', ['--prefix', 'https://a b.test/x/'], '--prefix', 'whitespace', ''],
    [
      'user info in --prefix',
      ['--prefix', 'https://u:pw@www.example.test/a/'],
      '--prefix',
      '***',
      '',
    ],
    ['an ftp --url', ['--url', 'ftp://www.example.test/a.js'], '--url', 'http(s) URL', 'https://'],
    [
      'user info in --url',
      ['--url', 'http://ops:s3cret@www.example.test/a.js'],
      '--url',
      'user name or password',
      'without user info',
    ],
    [
      'backslashes and user info in --url',
      ['--url', '\\\\ops:s3cret@evil.test/a.js'],
      '--url',
      'user name or password',
      'without user info',
    ],
  ])('%s → exit 2 naming the flag', async (_, args, flag, message, hint) => {
    const before = varnish.connections();
    const run = await purge(args);
    expect(run.code, run.stderr).toBe(2);
    const [first, ...rest] = run.stderr.trimEnd().split('\n');
    expect(first).toMatch(/^error: /);
    expect(first).toContain(flag);
    expect(first).toContain(message);
    expect(rest.join('\n')).toContain(`hint: ${''}`);
    expect(rest.join('\n')).toContain(hint);
    // One line per part: the hostile value is shown escaped, never raw.
    expect(raw(run.stderr)).toEqual([]);
    expect(run.stderr).not.toContain('s3cret');
    expect(run.stderr).not.toContain(':pw@');
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: 'E_USAGE' } });
    expect(varnish.connections()).toBe(before);
  });

  it.each([
    ['a stray CR inside a line', '/a.js\n/b\r.js\n', 'line 2', 'CR'],
    ['an ESC', '# list\n/a.js\n\n/\u001b[2Jb.js\n', 'line 4', 'ESC'],
    ['a URL with user info', 'https://ops:s3cret@www.example.test/a.js\n', 'line 1', 'user name'],
    ['a URL of another scheme', 'javascript:alert(1)\n', 'line 1', 'http(s) URL'],
  ])('--file with %s → exit 2 naming --file and the line', async (_, list, line, message) => {
    await writeFile(join(work, 'urls.txt'), list);
    const before = varnish.connections();
    for (const args of [
      ['--file', 'urls.txt'],
      ['--file', '-'],
    ]) {
      const run = await purge(args, list);
      expect(run.code, run.stderr).toBe(2);
      const first = run.stderr.split('\n')[0];
      expect(first).toContain(`--file ${args[1] === '-' ? '- (stdin)' : 'urls.txt'} ${line} `);
      expect(first).toContain(message);
      expect(run.stderr).toContain('hint: ');
      expect(raw(run.stderr)).toEqual([]);
      expect(run.stderr).not.toContain('s3cret');
    }
    expect(varnish.connections()).toBe(before);
  });

  it('a CRLF file is split into lines, not refused; tags go one per flag, each whole', async () => {
    await writeFile(join(work, 'crlf.txt'), '# release 8\r\n/assets/app.js\r\n\r\n/about/\r\n');
    const before = varnish.requests.length;
    const run = await purge(['--file', 'crlf.txt', '--tag', 'product-1', '--tag', 'product-2']);
    expect(run.code, run.stderr).toBe(0);
    const sent = varnish.requests.slice(before);
    expect(
      sent
        .filter((r) => r.method === 'PURGE' && r.headers['xkey-purge'] === undefined)
        .map((r) => r.url)
        .sort(),
    ).toEqual(['/about/', '/assets/app.js']);
    // Both tags go out, each whole (xkey reads the header as space-separated keys).
    const keys = sent.flatMap((r) => String(r.headers['xkey-purge'] ?? '').split(' '));
    expect(keys.filter((k) => k !== '').sort()).toEqual(['product-1', 'product-2']);
    expect(JSON.parse(run.stdout).purge).toMatchObject({ failed: [] });
  });

  it.each([
    ['--host', 'www.example.test:8080'],
    ['--host', 'localhost'],
    ['--host', '127.0.0.1:6081'],
    ['--host', '[::1]:8080'],
    ['--host', 'cdn_1.example.test'],
    ['--prefix', '/assets/'],
    ['--prefix', 'static.example.test/img/'],
    ['--prefix', 'https://static.example.test:8443/img/'],
    ['--url', 'https://www.example.test/a%20b.js?v=1'],
  ])('%s %s is accepted (dry run)', async (flag, value) => {
    const before = varnish.connections();
    const run = await purge(['--dry-run', flag, value]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, dryRun: true });
    expect(varnish.connections()).toBe(before);
  });
});
