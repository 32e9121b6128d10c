import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DemoEdge, startEdge } from '../../src/demo/edge-proxy.ts';
import { type DemoServer, startOrigin } from '../../src/demo/origin-server.ts';
import { editSampleSiteInPlace, writeSampleSite } from '../../src/demo/sample-site.ts';
import { runCli } from '../support/run-cli.ts';

// The whole pipeline through the CLI, against the embedded nginx-style origin and caching edge
// (no system packages needed). The same story runs on real nginx + Varnish in test/e2e/.
describe('edgepurge deploy against the embedded edge', () => {
  let work: string;
  let origin: DemoServer;
  let edge: DemoEdge;
  const HOST = 'www.example.test';
  const TOKEN = 'cf-test-token-0123456789abcdef';

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'edgepurge-deploy-'));
    await writeSampleSite(join(work, 'site'));
    origin = await startOrigin({ root: join(work, 'site') });
    edge = await startEdge({ origin: origin.url });
    await writeConfig({});
  });
  afterEach(async () => {
    await edge.close();
    await origin.close();
    await rm(work, { recursive: true, force: true });
  });

  function writeConfig(extra: Record<string, unknown>, endpoints = [edge.url]) {
    return writeFile(
      join(work, 'edgepurge.config.json'),
      JSON.stringify({
        dir: 'site',
        baseUrl: `http://${HOST}`,
        baseline: 'state/baseline.json',
        providers: [{ type: 'varnish', endpoints }],
        verify: { connectTo: [`${HOST}:80:127.0.0.1:${edge.port}`], timeoutSeconds: 2 },
        ...extra,
      }),
    );
  }
  const deploy = async (...args: string[]) => {
    const run = await runCli(['deploy', '--json', ...args], {
      cwd: work,
      env: { CLOUDFLARE_API_TOKEN: TOKEN, GITHUB_TOKEN: TOKEN },
    });
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
    return { ...run, json: JSON.parse(run.stdout) };
  };
  const baselinePath = () => join(work, 'state', 'baseline.json');

  it('first deploy: every file added, purged, verified, baseline saved; --json has the contract keys', async () => {
    const { code, json } = await deploy();
    expect(code).toBe(0);
    expect(json).toMatchObject({
      ok: true,
      diff: { changed: [], removed: [], hazards: [] },
      fixed: { touched: [] },
      purge: { failed: [], prefixes: 0 },
      verify: { ok: true, stale: [] },
      baseline: { saved: true, path: baselinePath() },
    });
    expect(json.diff.added).toHaveLength(7);
    // index.html and about/index.html each have two URLs.
    expect(json.purge.urls).toBe(10);
    expect(json.verify.checked).toBe(10);
    expect(JSON.parse(await readFile(baselinePath(), 'utf8')).version).toBe(2);
  });

  it('cp -p release: --fix none is caught as stale-304 (exit 1, no baseline); deploy fixes and proves it', async () => {
    expect((await deploy()).code).toBe(0);
    const release1 = await readFile(baselinePath(), 'utf8');
    await editSampleSiteInPlace(join(work, 'site'));

    const unfixed = await deploy('--fix', 'none');
    expect(unfixed.code).toBe(1);
    expect(unfixed.json.ok).toBe(false);
    expect(unfixed.json.diff.hazards).toEqual([
      { path: 'about/index.html', kind: 'validator-unchanged' },
      { path: 'assets/app.js', kind: 'validator-unchanged' },
    ]);
    expect(unfixed.json.verify.stale.map((s: { url: string }) => s.url)).toEqual([
      `http://${HOST}/about/`,
      `http://${HOST}/about/index.html`,
      `http://${HOST}/assets/app.js`,
    ]);
    expect(unfixed.json.verify.stale[0].reason).toMatch(/ETag .* did not change/);
    expect(unfixed.json.baseline.saved).toBe(false);
    expect(await readFile(baselinePath(), 'utf8')).toBe(release1);

    const fixed = await deploy();
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.json.fixed.touched).toEqual(['about/index.html', 'assets/app.js']);
    expect(fixed.json.verify).toMatchObject({ ok: true, checked: 3, stale: [] });
    expect(await readFile(baselinePath(), 'utf8')).not.toBe(release1);

    const again = await deploy();
    expect(again.code).toBe(0);
    expect(again.json.purge.requests).toBe(0);
    expect(again.json.diff).toMatchObject({ added: [], changed: [], removed: [] });
  });

  it('--dry-run touches nothing, sends nothing and saves nothing', async () => {
    expect((await deploy()).code).toBe(0);
    const release1 = await readFile(baselinePath(), 'utf8');
    await editSampleSiteInPlace(join(work, 'site'));
    const purgesBefore = edge.stats().purges;
    const dry = await deploy('--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.json.dryRun).toBe(true);
    expect(dry.json.fixed.touched).toEqual(['about/index.html', 'assets/app.js']);
    expect(dry.json.plan.providers[0].entries[0]).toMatchObject({ kind: 'urls', reason: 'hazard' });
    expect(edge.stats().purges).toBe(purgesBefore);
    expect(await readFile(baselinePath(), 'utf8')).toBe(release1);
    // Nothing was touched: the next real deploy still finds the hazards.
    const plan = await runCli(['plan', '--json'], { cwd: work });
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout).touch).toEqual(['about/index.html', 'assets/app.js']);
    expect(edge.stats().purges).toBe(purgesBefore);
  });

  it('an unreachable Varnish node: exit 1 naming it, baseline not written', async () => {
    await writeConfig({}, [edge.url, 'http://127.0.0.1:9']);
    const run = await deploy();
    expect(run.code).toBe(1);
    expect(run.json.ok).toBe(false);
    expect(run.json.purge.failed[0].error).toContain('http://127.0.0.1:9');
    expect(run.json.purge.failed[0].error).toContain('ECONNREFUSED');
    expect(run.json.baseline.saved).toBe(false);
    expect(existsSync(baselinePath())).toBe(false);
  });

  it('a removed file is purged and proven gone', async () => {
    expect((await deploy()).code).toBe(0);
    await rm(join(work, 'site', 'robots.txt'));
    const run = await deploy();
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.diff.removed).toEqual(['robots.txt']);
    expect(run.json.verify).toMatchObject({ ok: true, checked: 1 });
  });

  it('the upload hook runs between fix and purge; its failure stops the deploy before any purge', async () => {
    await writeConfig({ hooks: { upload: 'echo uploading "$CLOUDFLARE_API_TOKEN" && exit 7' } });
    const purgesBefore = edge.stats().purges;
    const run = await deploy();
    expect(run.code).toBe(1);
    expect(run.json.error.code).toBe('E_UPLOAD_HOOK');
    expect(run.stderr).toContain('uploading [redacted]');
    expect(edge.stats().purges).toBe(purgesBefore);
    expect(existsSync(baselinePath())).toBe(false);
  });

  it('purge --url and --prefix reach the edge; --dry-run sends nothing', async () => {
    const dry = await runCli(
      ['purge', '--url', '/assets/app.js', '--prefix', '/assets/', '--dry-run'],
      { cwd: work },
    );
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`http://${HOST}/assets/app.js`);
    expect(edge.stats().purges).toBe(0);
    const real = await runCli(['purge', '--url', '/assets/app.js', '--prefix', '/assets/'], {
      cwd: work,
    });
    expect(real.code, real.stderr).toBe(0);
    expect(edge.stats().purges).toBe(2);
  });

  it('verify alone: fresh after a deploy, stale (exit 1) when the edge keeps old bytes', async () => {
    expect((await deploy()).code).toBe(0);
    const fresh = await runCli(['verify'], { cwd: work });
    expect(fresh.code, fresh.stdout).toBe(0);
    expect(fresh.stdout).toContain('verified: 10 URLs fresh');
    await editSampleSiteInPlace(join(work, 'site'));
    const stale = await runCli(['verify', '--previous', 'state/baseline.json', '--timeout', '1'], {
      cwd: work,
    });
    expect(stale.code).toBe(1);
    expect(stale.stdout).toContain(`STALE http://${HOST}/assets/app.js`);
  });

  it('--report writes Markdown and a self-contained HTML page; GITHUB_STEP_SUMMARY gets the summary', async () => {
    const summary = join(work, 'step-summary.md');
    await writeFile(summary, '# earlier step\n');
    const run = await runCli(
      ['deploy', '--report', 'out/report.md', '--report', 'out/report.html'],
      {
        cwd: work,
        env: { GITHUB_STEP_SUMMARY: summary, CLOUDFLARE_API_TOKEN: TOKEN },
      },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/fresh\s+http:\/\/www\.example\.test\/about\//);
    const markdown = await readFile(join(work, 'out', 'report.md'), 'utf8');
    expect(markdown).toContain('Verified: all 10 URLs');
    const html = await readFile(join(work, 'out', 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/(src|href)="https?:/);
    const appended = await readFile(summary, 'utf8');
    expect(appended.startsWith('# earlier step\n')).toBe(true);
    expect(appended).toContain('Verified: all 10 URLs');
    for (const text of [markdown, html, appended]) expect(text).not.toContain(TOKEN);
  });

  it('--report with an unknown format exits 2 before anything is done', async () => {
    const run = await runCli(['deploy', '--report', 'report.pdf'], { cwd: work });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--report');
    expect(edge.stats().purges).toBe(0);
    expect(existsSync(baselinePath())).toBe(false);
  });

  it('unwritable report or baseline paths exit 2 before anything is done', async () => {
    await writeFile(join(work, 'a-file'), 'x');
    for (const args of [
      ['deploy', '--report', 'a-file/report.md'],
      ['deploy', '--save-baseline', 'a-file/baseline.json'],
      ['deploy', '--json', '--report', 'a-file/r.html'],
    ]) {
      const run = await runCli(args, { cwd: work });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain('cannot write');
      expect(run.stderr).not.toMatch(/this is a bug/);
      if (args.includes('--json')) expect(JSON.parse(run.stdout).error.code).toBe('E_WRITE');
    }
    const summary = await runCli(['verify'], {
      cwd: work,
      env: { GITHUB_STEP_SUMMARY: join(work, 'a-file', 's.md') },
    });
    expect(summary.code).toBe(2);
    expect(summary.stderr).toContain('GITHUB_STEP_SUMMARY');
    expect(edge.stats().purges).toBe(0);
    expect(existsSync(baselinePath())).toBe(false);
  });

  it('a state folder that is a dangling symlink, or /proc, exits 2 before the upload hook runs', async () => {
    const { symlink } = await import('node:fs/promises');
    await symlink(join(work, 'nowhere'), join(work, 'dangling'));
    await writeConfig({ hooks: { upload: 'touch uploaded' } });
    for (const target of ['dangling/baseline.json', '/proc/nope/baseline.json']) {
      const run = await runCli(['deploy', '--save-baseline', target], { cwd: work });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toContain('cannot write');
      expect(run.stderr).toContain('saveBaseline');
    }
    expect(existsSync(join(work, 'uploaded'))).toBe(false);
    expect(edge.stats().purges).toBe(0);
  });

  it('a second deploy while one holds the baseline exits 1 naming the holder, and sends nothing', async () => {
    const { spawn } = await import('node:child_process');
    const { hostname } = await import('node:os');
    const { mkdir } = await import('node:fs/promises');
    const holder = spawn('sleep', ['30']);
    try {
      await mkdir(join(work, 'state'), { recursive: true });
      await writeFile(
        join(work, 'state', 'baseline.json.journal.lock'),
        JSON.stringify({ pid: holder.pid, host: hostname(), since: 'now' }),
      );
      await writeConfig({ hooks: { upload: 'touch uploaded' } });
      const run = await deploy();
      expect(run.code, run.stderr).toBe(1);
      expect(run.json.error.code).toBe('E_LOCKED');
      expect(run.stderr).toContain(`pid ${holder.pid}`);
      expect(existsSync(join(work, 'uploaded'))).toBe(false);
      expect(edge.stats().purges).toBe(0);
      expect(existsSync(baselinePath())).toBe(false);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('paths given as flags resolve from where the user stands, not from the config folder', async () => {
    const { mkdir, rename } = await import('node:fs/promises');
    await mkdir(join(work, 'conf'));
    await rename(join(work, 'edgepurge.config.json'), join(work, 'conf', 'edgepurge.config.json'));
    const run = await runCli(
      [
        'deploy',
        '--json',
        '--config',
        'conf/edgepurge.config.json',
        '--dir',
        'site',
        '--save-baseline',
        'state/here.json',
      ],
      { cwd: work },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).baseline.path).toBe(join(work, 'state', 'here.json'));
    expect(existsSync(join(work, 'state', 'here.json'))).toBe(true);
    const bad = await runCli(['deploy', '--timeout', '99999'], { cwd: join(work, 'conf') });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--timeout');
  });

  it('a token with a trailing newline is redacted in both forms', async () => {
    await writeConfig({
      hooks: {
        upload: 'echo "tok=$(printf %s "$CLOUDFLARE_API_TOKEN" | tr -d \'\\n\')" && exit 3',
      },
    });
    const run = await runCli(['deploy'], {
      cwd: work,
      env: { CLOUDFLARE_API_TOKEN: `${TOKEN}\n` },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('tok=[redacted]');
    expect(run.stdout + run.stderr).not.toContain(TOKEN);
  });

  it('deploy --dry-run prints the exact requests it would send', async () => {
    const text = await runCli(['deploy', '--dry-run'], { cwd: work });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`would send varnish: PURGE ${edge.url}/about/ Host: ${HOST}`);
    const json = JSON.parse(
      (await runCli(['deploy', '--dry-run', '--json'], { cwd: work })).stdout,
    );
    expect(json.requests).toHaveLength(10);
    expect(edge.stats().purges).toBe(0);
  });

  it('the upload hook runs after the fix and before the purge', async () => {
    expect((await deploy()).code).toBe(0);
    await editSampleSiteInPlace(join(work, 'site'));
    // The hook records the app.js mtime it sees, and what the edge serves while it runs.
    await writeConfig({
      hooks: {
        upload: `stat -c %Y site/assets/app.js > hook-saw.txt && curl -s -H 'Host: ${HOST}' ${edge.url}/assets/app.js > hook-edge.txt`,
      },
    });
    const run = await deploy();
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.upload.ran).toBe(true);
    const sawMtime = Number((await readFile(join(work, 'hook-saw.txt'), 'utf8')).trim());
    const baseline = JSON.parse(await readFile(baselinePath(), 'utf8'));
    // The hook saw the touched mtime (the fix ran first) ...
    expect(sawMtime * 1000).toBe(baseline.files['assets/app.js'].mtimeMs);
    // ... and the purge came after it: the edge still served release 1 while the hook ran.
    const served = await readFile(join(work, 'hook-edge.txt'), 'utf8');
    const now = await readFile(join(work, 'site', 'assets', 'app.js'), 'utf8');
    expect(served).toContain('release 1');
    expect(now).toContain('release 2');
  });
});
