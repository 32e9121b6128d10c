import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.ts';
import { runProcess } from '../support/run-process.ts';
import {
  describeE2E,
  httpRequest,
  type Stack,
  startStack,
  writeStackConfig,
} from '../support/stack.ts';

const HOST = 'www.example.test';
const CSS_1 = 'h1 { color: rgb(1, 2, 3) }\n';
const CSS_2 = 'h1 { color: rgb(4, 5, 6) }\n';
// Reports what the page got: the heading's colour, and the status of every resource it loaded.
const APP = `window.addEventListener("load", () => {
  const statuses = performance.getEntriesByType("resource").map((entry) => entry.responseStatus);
  document.body.dataset.result = [getComputedStyle(document.querySelector("h1")).color, ...statuses].join("|");
});
`;
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** The build: a fresh tree each release (unhashed names), as a static site generator writes it. */
async function build(site: string, css: string): Promise<void> {
  await rm(site, { recursive: true, force: true });
  await mkdir(path.join(site, 'assets'), { recursive: true });
  await mkdir(path.join(site, 'docs'), { recursive: true });
  const page = (css: string, title: string) =>
    `<!doctype html><html><head><meta charset=utf-8><link rel="stylesheet" href="${css}"><script src="/assets/app.js"></script></head><body><h1>${title}</h1></body></html>\n`;
  await writeFile(path.join(site, 'index.html'), page('/assets/site.css', 'home'));
  await writeFile(path.join(site, 'docs', 'index.html'), page('../assets/site.css', 'docs'));
  await writeFile(path.join(site, 'assets', 'site.css'), css);
  await writeFile(path.join(site, 'assets', 'app.js'), APP);
}

describeE2E('deploy with fix "hash" on nginx + Varnish', () => {
  let work = '';
  let site = '';
  let stack: Stack | undefined;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'edgepurge-e2e-hash-'));
    site = path.join(work, 'public');
    await build(site, CSS_1);
    stack = await startStack({ root: site });
    await writeStackConfig(work, stack, HOST, { fix: 'hash' });
  });
  afterAll(async () => {
    await stack?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const s = () => {
    if (!stack) throw new Error('stack did not start');
    return stack;
  };
  const edge = (urlPath: string) => httpRequest(`${s().edgeUrl}${urlPath}`, { host: HOST });
  const run = async (command: string, ...args: string[]) => {
    const result = await runCli([command, '--json', ...args], { cwd: work });
    return { ...result, json: JSON.parse(result.stdout || '{}') };
  };
  const cssNames = async () =>
    (await readdir(path.join(site, 'assets'))).filter((name) => name.endsWith('.css')).sort();
  /** Every URL the plan purges, whatever the entry kind. */
  const purged = (plan: { providers: { entries: { urls?: string[]; prefixes?: string[] }[] }[] }) =>
    plan.providers.flatMap((p) =>
      p.entries.flatMap((e) => [...(e.urls ?? []), ...(e.prefixes ?? [])]),
    );

  let css1 = '';

  it('release 1: the fix renames the assets, rewrites the pages, and the deploy verifies', async () => {
    const deploy = await run('deploy');
    expect(deploy.code, deploy.stderr).toBe(0);
    const renamed = deploy.json.fixed.renamed as { from: string; to: string }[];
    expect(renamed.map((r) => r.from)).toEqual(['assets/app.js', 'assets/site.css']);
    css1 = renamed[1]?.to as string;
    expect(css1).toMatch(/^assets\/site\.[0-9a-f]{8}\.css$/);
    expect(await cssNames()).toEqual([path.basename(css1)]);
    expect(deploy.json.verify.ok).toBe(true);
    // Nothing was cached under the new hashed URLs: only the pages are purged.
    for (const url of purged(deploy.json.plan)) expect(url).not.toMatch(/\.(css|js)$/);
    const page = await edge('/');
    expect(page.body).toContain(`href="/${css1}"`);
    const sheet = await edge(`/${css1}`);
    expect(sheet.body).toBe(CSS_1);
    expect(sheet.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(existsSync(path.join(work, '.edgepurge', 'baseline.json.hash-map.json'))).toBe(true);
  });

  it('plan for release 2 shows the rename it would make, and writes nothing', async () => {
    await build(site, CSS_2);
    const plan = await run('plan', '--out', 'plan.json');
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.json.hash.renames.map((r: { from: string }) => r.from)).toEqual([
      'assets/app.js',
      'assets/site.css',
    ]);
    expect(plan.json.hash.restore).toEqual([css1]);
    expect(await cssNames()).toEqual(['site.css']);
    const dry = await run('deploy', '--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json.fixed.renamed).toHaveLength(2);
    expect(await cssNames()).toEqual(['site.css']);
    const text = await runCli(['plan'], { cwd: work });
    expect(text.stdout).toMatch(/rename assets\/site\.css → assets\/site\.[0-9a-f]{8}\.css/);
  });

  it('release 2 (the reviewed plan, applied) changes the CSS every page uses: new name, pages rewritten, only pages purged, old CSS still served', async () => {
    const deploy = await run('deploy', '--plan', 'plan.json');
    expect(deploy.code, deploy.stderr).toBe(0);
    const css2 = (deploy.json.fixed.renamed as { from: string; to: string }[]).find(
      (r) => r.from === 'assets/site.css',
    )?.to as string;
    expect(css2).not.toBe(css1);
    expect(deploy.json.diff.changed).toEqual(['docs/index.html', 'index.html']);
    expect(deploy.json.diff.added).toEqual([css2]);
    expect(deploy.json.diff.removed).toEqual([]);
    // The purge requests: the two pages' URLs, nothing else (the new CSS is a new URL).
    const urls = purged(deploy.json.plan);
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(new URL(url).pathname).toMatch(/(\/|\.html)$/);
    expect(deploy.json.purge.failed).toEqual([]);
    expect(deploy.json.verify.ok).toBe(true);

    const home = await edge('/');
    expect(home.body).toContain(`href="/${css2}"`);
    const docs = await edge('/docs/');
    expect(docs.body).toContain(`href="../${css2}"`);
    const sheet = await edge(`/${css2}`);
    expect(sheet.body).toBe(CSS_2);
    expect(sheet.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    // Pages still cached somewhere name release 1's CSS: it is kept in the tree and served.
    const old = await edge(`/${css1}`);
    expect(old.status).toBe(200);
    expect(old.body).toBe(CSS_1);
    expect(await cssNames()).toEqual([path.basename(css1), path.basename(css2)].sort());
    const history = JSON.parse(
      await readFile(path.join(work, '.edgepurge', 'baseline.json.hash-map.json'), 'utf8'),
    );
    expect(history.releases).toHaveLength(2);
  });

  // Skipped only where Debian's chromium is not installed; CI sets EDGEPURGE_E2E_BROWSER=required,
  // and then a missing browser fails here instead.
  it.skipIf(CHROMIUM === undefined && process.env.EDGEPURGE_E2E_BROWSER !== 'required')(
    'a browser loads the page through Varnish with no failed request',
    async () => {
      const profile = await mkdtemp(path.join(work, 'profile-'));
      const dom = await runProcess(
        CHROMIUM as string,
        [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          `--user-data-dir=${profile}`,
          '--virtual-time-budget=10000',
          `--host-resolver-rules=MAP ${HOST}:80 127.0.0.1:${s().edgePort}`,
          '--dump-dom',
          `http://${HOST}/docs/`,
        ],
        { cwd: work, env: { HOME: work, PATH: process.env.PATH } },
      );
      const result = /data-result="([^"]*)"/.exec(dom.stdout)?.[1];
      // The new CSS applied; the CSS and the script both answered 200.
      expect(result).toBe('rgb(4, 5, 6)|200|200');
    },
    120_000,
  );
});
