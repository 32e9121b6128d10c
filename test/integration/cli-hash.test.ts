import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.ts';

let root: string;

async function writeSite(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, body] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), body);
  }
}

async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

const SITE = {
  'index.html':
    '<link rel=stylesheet href="css/site.css"><script src="js/app.js"></script><img src="missing.png">',
  'css/site.css': 'body { background: url(../img/bg.png) }',
  'js/app.js': 'console.log(1);',
  'img/bg.png': 'png',
  'robots.txt': 'User-agent: *',
};

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'edgepurge-hash-'));
  await writeSite(join(root, 'site'), SITE);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('edgepurge hash', () => {
  it('--out: writes the hashed tree elsewhere, the source untouched; --map, --headers, --nginx', async () => {
    const run = await runCli(
      [
        'hash',
        'site',
        '--out',
        'out',
        '--map',
        'rev-manifest.json',
        '--headers',
        'out/_headers',
        '--nginx',
        'cache.conf',
      ],
      { cwd: root },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await tree(join(root, 'site'))).toEqual(Object.keys(SITE).sort());
    const out = await tree(join(root, 'out'));
    expect(out.filter((p) => !/\.[0-9a-f]{8}\./.test(p))).toEqual([
      '_headers',
      'index.html',
      'robots.txt',
    ]);
    const map = JSON.parse(await readFile(join(root, 'rev-manifest.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(Object.keys(map)).toEqual(['css/site.css', 'img/bg.png', 'js/app.js']);
    expect(out).toEqual(expect.arrayContaining(Object.values(map)));
    const index = await readFile(join(root, 'out/index.html'), 'utf8');
    expect(index).toBe(
      `<link rel=stylesheet href="${map['css/site.css']}"><script src="${map['js/app.js']}"></script><img src="missing.png">`,
    );
    expect(run.stdout).toContain(`rename css/site.css → ${map['css/site.css']}`);
    expect(run.stdout).toContain('rewrite index.html: 2 references');
    expect(run.stdout).toContain('warning: index.html references missing.png');
    expect(await readFile(join(root, 'out/_headers'), 'utf8')).toContain(
      `/${map['js/app.js']}\n  Cache-Control: public, max-age=31536000, immutable`,
    );
    expect(await readFile(join(root, 'cache.conf'), 'utf8')).toContain('immutable');

    // The next release changes the sheet: the map follows, the old sheet is retained for --keep.
    await writeFile(join(root, 'site/css/site.css'), 'body { color: red }');
    const next = await runCli(
      ['hash', 'site', '--out', 'out2', '--map', 'rev-manifest.json', '--json'],
      { cwd: root },
    );
    expect(next.code).toBe(0);
    const result = JSON.parse(next.stdout) as {
      retained: string[];
      renames: { from: string; to: string }[];
    };
    expect(result.retained).toEqual([map['css/site.css'], map['img/bg.png']]);
  });

  it('in place, --dry-run changes nothing; a second run on its own output changes nothing', async () => {
    const dry = await runCli(['hash', 'site', '--dry-run', '--json'], { cwd: root });
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as { dryRun: boolean; renames: unknown[] };
    expect(plan.dryRun).toBe(true);
    expect(plan.renames).toHaveLength(3);
    expect(await tree(join(root, 'site'))).toEqual(Object.keys(SITE).sort());

    const real = await runCli(['hash', 'site'], { cwd: root });
    expect(real.code).toBe(0);
    const after = await tree(join(root, 'site'));
    expect(after).not.toContain('css/site.css');
    const again = await runCli(['hash', 'site', '--json'], { cwd: root });
    expect(JSON.parse(again.stdout)).toMatchObject({ renames: [], rewrites: [] });
    expect(await tree(join(root, 'site'))).toEqual(after);
  });

  it('--config: base path, base URL and the hash block from the config file; flags override', async () => {
    await writeFile(
      join(root, 'edgepurge.config.json'),
      JSON.stringify({
        dir: 'site',
        baseUrl: 'https://www.example.com',
        urls: { basePath: '/blog/' },
        hash: { length: 10, exclude: ['img/**'] },
      }),
    );
    await writeFile(
      join(root, 'site/about.html'),
      '<script src="/blog/js/app.js"></script><script src="https://www.example.com/blog/js/app.js"></script>',
    );
    const run = await runCli(['hash', 'site', '--config', 'edgepurge.config.json', '--json'], {
      cwd: root,
    });
    expect(run.code).toBe(0);
    const { renames } = JSON.parse(run.stdout) as { renames: { from: string; to: string }[] };
    expect(renames.map((r) => r.from)).toEqual(['css/site.css', 'js/app.js']);
    const app = renames[1]?.to as string;
    expect(app).toMatch(/^js\/app\.[0-9a-f]{10}\.js$/);
    expect(await readFile(join(root, 'site/about.html'), 'utf8')).toBe(
      `<script src="/blog/${app}"></script><script src="https://www.example.com/blog/${app}"></script>`,
    );
    const flags = await runCli(
      [
        'hash',
        'site',
        '--config',
        'edgepurge.config.json',
        '--length',
        '6',
        '--exclude',
        'none',
        '--dry-run',
        '--json',
      ],
      { cwd: root },
    );
    expect(JSON.parse(flags.stdout).renames.map((r: { to: string }) => r.to)).toContainEqual(
      expect.stringMatching(/^img\/bg\.[0-9a-f]{6}\.png$/),
    );
  });

  it.each([
    [['hash', 'nope'], '<dir>', 'is not a directory'],
    [['hash', 'site', '--out', 'site/dist'], '--out', 'overlaps the site directory'],
    [['hash', 'site', '--out', '.'], '--out', 'overlaps the site directory'],
    [['hash', 'site', '--length', '4'], '--length', 'from 6 to 64'],
    [['hash', 'site', '--base-path', 'blog'], '--base-path', 'must start with /'],
    [['hash', 'site', '--base-url', 'nope'], '--base-url', 'is not a URL'],
    [['hash', 'site', '--bogus'], '--bogus', 'Unknown option'],
  ])('%j: exit 2 naming %s', async (args, at, message) => {
    const run = await runCli(args, { cwd: root });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain(at);
    expect(await tree(join(root, 'site'))).toEqual(Object.keys(SITE).sort());
  });

  it('a --map history that is not ours is refused, naming --map', async () => {
    await writeFile(join(root, 'map.json.history.json'), '{"x": 1}');
    const run = await runCli(['hash', 'site', '--map', 'map.json'], { cwd: root });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--map');
    expect(await tree(join(root, 'site'))).toEqual(Object.keys(SITE).sort());
  });
});
