/**
 * Issue 9's browser proof: each fixture site, deployed through the real nginx + Varnish stack,
 * loads in headless Chromium after `deploy` with `fix: "hash"` exactly as it did before the
 * rename — no failed request, no console error, the same result from its scripts, the same
 * pixels — and asks only for hashed asset names.
 *
 * One stack and one browser serve all five sites: nginx's root is a symlink (the `current`
 * symlink of a release-directory deploy) pointed at the site under test, and each site has its
 * own host name, so Varnish's cache (keyed by Host) never mixes them.
 */
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isHashedName } from '../../src/fix/hash/hashed-name.ts';
import {
  type BrowserSession,
  describeBrowser,
  launchBrowser,
  type PageLoad,
} from '../support/browser.ts';
import { BROWSER_SITES, type BrowserSite } from '../support/browser-sites.ts';
import { runMain } from '../support/run-main.ts';
import { describeE2E, type Stack, startStack, writeStackConfig } from '../support/stack.ts';

/** Names that keep theirs under the hash fix (besides pages): the browser may ask for them. */
const KEPT = new Set(['favicon.ico', 'robots.txt', 'sitemap.xml', 'sw.js', 'manifest.webmanifest']);

/** A fresh, unhashed build of `site` in `dir`, as a static site generator writes it. */
async function build(dir: string, site: BrowserSite): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  for (const [file, body] of Object.entries(site.files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), body);
  }
}

/** Points the symlink nginx serves at `target`, atomically (a new link renamed over the old). */
async function pointAt(link: string, target: string): Promise<void> {
  const next = `${link}.next`;
  await rm(next, { force: true });
  await symlink(target, next);
  await rename(next, link);
}

/** The URL paths of a load's requests that are not pages. */
function assetPaths(load: PageLoad): string[] {
  return load.requests
    .filter((request) => request.type !== 'document')
    .map((request) => new URL(request.url).pathname);
}

const keepsName = (urlPath: string) =>
  urlPath.endsWith('/') || urlPath.endsWith('.html') || KEPT.has(path.posix.basename(urlPath));

describeE2E('hashed fixture sites through nginx + Varnish', () => {
  describeBrowser('in headless Chromium', () => {
    let root = '';
    let stack: Stack | undefined;
    let browser: BrowserSession | undefined;

    beforeAll(async () => {
      root = await mkdtemp(path.join(os.tmpdir(), 'edgepurge-e2e-hash-browser-'));
      await mkdir(path.join(root, 'empty'));
      await symlink(path.join(root, 'empty'), path.join(root, 'current'));
      stack = await startStack({ root: path.join(root, 'current') });
      browser = await launchBrowser({
        edgePort: stack.edgePort,
        hosts: BROWSER_SITES.map((site) => site.host),
      });
    });
    afterAll(async () => {
      await browser?.close();
      await stack?.stop();
      if (root) await rm(root, { recursive: true, force: true });
    });

    const ready = () => {
      if (!stack || !browser) throw new Error('the stack or the browser did not start');
      return { stack, browser };
    };

    /** `edgepurge <argv> --json` in this process, in `work`. */
    const cli = async (work: string, ...argv: string[]) => {
      const run = await runMain([...argv, '--json'], { cwd: work });
      expect(run.code, `edgepurge ${argv.join(' ')}:\n${run.stderr}`).toBe(0);
      return JSON.parse(run.stdout);
    };

    /** Every page of `site`, loaded by its host name through Varnish. */
    const loadAll = async (site: BrowserSite) => {
      const loads: Record<string, PageLoad> = {};
      for (const urlPath of Object.keys(site.pages)) {
        loads[urlPath] = await ready().browser.loadPage(`http://${site.host}${urlPath}`, {
          result: 'document.body?.dataset.result',
        });
      }
      return loads;
    };

    /** A load with no failed request, no console error and the result the page must write. */
    const expectClean = (load: PageLoad, expected: string, what: string) => {
      expect(load.failures, `${what}: failed requests`).toEqual([]);
      expect(load.consoleErrors, `${what}: console errors`).toEqual([]);
      expect(load.result, `${what}: result`).toBe(expected);
    };

    for (const site of BROWSER_SITES) {
      it(site.name, async () => {
        const { stack } = ready();
        const work = path.join(root, site.host);
        const published = path.join(work, 'public');
        const dir = path.join(published, site.basePath);
        const config = {
          dir: path.relative(work, dir) || '.',
          urls: { basePath: site.basePath },
        };
        await pointAt(path.join(root, 'current'), published);

        // Release 1, names as built: what the pages look like before any rename.
        await build(dir, site);
        await writeStackConfig(work, stack, site.host, { ...config, fix: 'none' });
        const plain = await cli(work, 'deploy');
        expect(plain.verify.ok).toBe(true);
        const before = await loadAll(site);
        for (const [urlPath, expected] of Object.entries(site.pages)) {
          expectClean(before[urlPath] as PageLoad, expected, `before, ${urlPath}`);
        }

        // Release 2: the same build again, deployed with the hash fix.
        await build(dir, site);
        await writeStackConfig(work, stack, site.host, { ...config, fix: 'hash' });
        const plan = await cli(work, 'plan');
        expect(plan.hash.cycles).toEqual(site.cycles);
        expect(plan.hash.warnings).toEqual([]);
        const deploy = await cli(work, 'deploy');
        expect(deploy.verify.ok).toBe(true);
        const renamed = new Map<string, string>(
          (deploy.fixed.renamed as { from: string; to: string }[]).map(({ from, to }) => [
            site.basePath + from,
            site.basePath + to,
          ]),
        );
        expect(renamed.size).toBeGreaterThan(0);

        const after = await loadAll(site);
        for (const [urlPath, expected] of Object.entries(site.pages)) {
          const was = before[urlPath] as PageLoad;
          const now = after[urlPath] as PageLoad;
          expectClean(now, expected, `after, ${urlPath}`);
          // Every asset the page asked for before, it asks for now under its hashed name; every
          // asset it asks for now is a hashed file, except the names that keep theirs.
          const assets = assetPaths(now);
          expect(assets.filter((asset) => !keepsName(asset) && !isHashedName(asset))).toEqual([]);
          expect([...assets].sort()).toEqual(
            assetPaths(was)
              .map((asset) => renamed.get(asset) ?? asset)
              .sort(),
          );
          expect(
            now.screenshot.equals(was.screenshot),
            `${urlPath} renders differently after the rename`,
          ).toBe(true);
        }

        if (site.files['index.html']?.toString().includes('integrity=')) {
          // The browser accepted every integrity: they were recomputed for the rewritten bytes.
          const integrity = (html: string) =>
            [...html.matchAll(/integrity="([^"]+)"/g)].map((m) => m[1]);
          const rewritten = integrity(await readFile(path.join(dir, 'index.html'), 'utf8'));
          const original = integrity(String(site.files['index.html']));
          expect(rewritten).toHaveLength(original.length);
          for (const [i, value] of rewritten.entries()) expect(value).not.toBe(original[i]);
          // The import map's integrity: each key follows its module's rename and its value was
          // recomputed (the module's bytes changed), or the browser would refuse the import.
          const mapOf = (html: string) =>
            JSON.parse(/<script type="importmap">(.*?)<\/script>/s.exec(html)?.[1] ?? '{}') as {
              integrity?: Record<string, string>;
            };
          const before = Object.entries(mapOf(String(site.files['index.html'])).integrity ?? {});
          const after = Object.entries(
            mapOf(await readFile(path.join(dir, 'index.html'), 'utf8')).integrity ?? {},
          );
          expect(after).toHaveLength(before.length);
          for (const [i, [url, value]] of after.entries()) {
            const [wasUrl, wasValue] = before[i] as [string, string];
            expect(url).toBe(`./${renamed.get(`/${wasUrl.slice(2)}`)?.slice(1)}`);
            expect(value).not.toBe(wasValue);
          }
        }
      });
    }
  });
});
