/**
 * Issue 8 §2: the baseline records the validators browsers hold, and the next deploy asks with
 * them whatever the edge held before its purge. After a failed `--fix none` run the edge already
 * serves the new bytes under the old ETag, so the snapshot cannot tell which ETag browsers hold;
 * the record can. Real nginx (mtime-size ETags) behind real Varnish.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyPreservingMtime } from '../support/copy-preserving.ts';
import { runCli } from '../support/run-cli.ts';
import {
  describeE2E,
  httpRequest,
  type Stack,
  startStack,
  writeStackConfig,
} from '../support/stack.ts';

const HOST = 'www.example.test';
const APP_URL = `http://${HOST}/assets/app.js`;
const RELEASE_1 = 'console.log("release 1");\n';
const RELEASE_2 = 'console.log("release 2");\n';

interface CheckJson {
  id: string;
  ok: boolean;
  sent?: string;
  message?: string;
}
interface UrlJson {
  url: string;
  checks: CheckJson[];
  validators?: { etag?: string; lastModified?: string };
}

describeE2E(
  'a deploy after a failed `--fix none` run still proves the old ETag gets 200 (nginx + Varnish)',
  () => {
    let work = '';
    let site = '';
    let stack: Stack | undefined;

    beforeAll(async () => {
      work = await mkdtemp(path.join(os.tmpdir(), 'edgepurge-e2e-held-'));
      site = path.join(work, 'public');
      await mkdir(path.join(site, 'assets'), { recursive: true });
      await writeFile(path.join(site, 'index.html'), '<h1>home</h1>\n');
      await writeFile(path.join(site, 'assets', 'app.js'), RELEASE_1);
      stack = await startStack({ root: site });
      await writeStackConfig(work, stack, HOST);
    });
    afterAll(async () => {
      await stack?.stop();
      if (work) await rm(work, { recursive: true, force: true });
    });

    const s = () => {
      if (!stack) throw new Error('stack did not start');
      return stack;
    };
    const edge = (urlPath: string, headers: Record<string, string> = {}) =>
      httpRequest(`${s().edgeUrl}${urlPath}`, { host: HOST, headers });
    const deploy = async (...args: string[]) => {
      const run = await runCli(['deploy', '--json', ...args], { cwd: work });
      return { ...run, json: JSON.parse(run.stdout) };
    };
    const baseline = async () =>
      JSON.parse(await readFile(path.join(work, '.edgepurge', 'baseline.json'), 'utf8'));
    const appReport = (json: { verify: { urls: UrlJson[] } }) => {
      const found = json.verify.urls.find((url) => url.url === APP_URL);
      if (found === undefined) throw new Error(`no report for ${APP_URL}`);
      return found;
    };

    let releaseOneEtag = '';

    it('release 1, a first deploy: the baseline (version 2) records the ETag the edge served; the report notes none was recorded before', async () => {
      const run = await deploy();
      expect(run.code, run.stderr).toBe(0);
      expect(run.json.verify.notes).toEqual([expect.stringContaining('no validators recorded')]);
      const served = await edge('/assets/app.js');
      expect(served.body).toBe(RELEASE_1);
      releaseOneEtag = String(served.headers.etag);
      expect(releaseOneEtag).toMatch(/^"[0-9a-f]+-1a"$/);
      const saved = await baseline();
      expect(saved.version).toBe(2);
      expect(saved.validators[APP_URL]).toEqual({
        etag: releaseOneEtag,
        lastModified: served.headers['last-modified'],
      });
      expect(appReport(run.json).validators?.etag).toBe(releaseOneEtag);
    });

    it('release 2 copied with cp -p, `deploy --fix none`: fails, the ETag browsers hold did not change; nothing saved', async () => {
      await copyPreservingMtime(path.join(site, 'assets', 'app.js'), RELEASE_2, work);
      const run = await deploy('--fix', 'none');
      expect(run.code, run.stderr).toBe(1);
      expect(run.json.baseline.saved).toBe(false);
      const changed = appReport(run.json).checks.find((check) => check.id === 'etag-changed');
      expect(changed).toMatchObject({ ok: false });
      expect(changed?.message).toContain(releaseOneEtag);
      expect((await baseline()).validators[APP_URL].etag).toBe(releaseOneEtag);
      // The failed run left the edge holding the new bytes under the old ETag: a snapshot now
      // sees "new bytes", and the browsers holding release 1 still get 304.
      const cached = await edge('/assets/app.js');
      expect(cached.body).toBe(RELEASE_2);
      expect(cached.headers.etag).toBe(releaseOneEtag);
      expect((await edge('/assets/app.js', { 'if-none-match': releaseOneEtag })).status).toBe(304);
    });

    it('then `deploy` (touch): the report shows If-None-Match with the recorded release-1 ETag getting 200; the new ETag is recorded', async () => {
      const run = await deploy();
      expect(run.code, run.stderr).toBe(0);
      expect(run.json.fixed.touched).toEqual(['assets/app.js']);
      expect(run.json.verify.notes).toBeUndefined();
      const app = appReport(run.json);
      const conditional = app.checks.filter((check) => check.id === 'conditional-etag');
      expect(conditional).toContainEqual(
        expect.objectContaining({
          ok: true,
          sent: `If-None-Match: ${releaseOneEtag} (the ETag browsers hold: recorded when the previous release was verified)`,
        }),
      );
      const fresh = await edge('/assets/app.js');
      expect(fresh.body).toBe(RELEASE_2);
      expect(fresh.headers.etag).not.toBe(releaseOneEtag);
      const held = await edge('/assets/app.js', { 'if-none-match': releaseOneEtag });
      expect(held.status).toBe(200);
      expect(held.body).toBe(RELEASE_2);
      expect((await baseline()).validators[APP_URL].etag).toBe(fresh.headers.etag);
    });
  },
);
