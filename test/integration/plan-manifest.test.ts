/**
 * `plan --manifest FILE`: the plan is made from the release manifest `edgepurge manifest` wrote,
 * not from a scan of `dir`; the document says so, and `deploy --plan` of it re-scans the tree —
 * applied when the tree is what the manifest says, refused (E_PLAN_STALE, nothing sent) when not.
 * Refused with exit 2 for `fix: "hash"`, for a manifest of another base URL, and for a missing or
 * corrupt file. In process, through `main(argv, io)`, against the embedded origin and edge.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlanDocument } from '../../src/pipeline/plan-document.ts';
import {
  PLAN_APPLY_HOST,
  type PlanApplySite,
  startPlanApplySite,
} from '../support/plan-apply-site.ts';
import type { RecordingVarnish } from '../support/recording-varnish.ts';

const HOST = PLAN_APPLY_HOST;

describe('plan --manifest', () => {
  let site: PlanApplySite;
  let work: string;
  let varnish: RecordingVarnish;
  let run: PlanApplySite['run'];
  let secondRelease: PlanApplySite['secondRelease'];

  beforeEach(async () => {
    site = await startPlanApplySite('edgepurge-plan-manifest-');
    ({ work, varnish, run, secondRelease } = site);
  });
  afterEach(() => site.close());

  async function manifestOut(...flags: string[]): Promise<void> {
    const written = await run('manifest', 'site', '--out', 'release.json', ...flags);
    expect(written.code, written.stderr).toBe(0);
  }

  it('plans what a scan plans, says the release came from the file, and deploy --plan applies it', async () => {
    await secondRelease();
    const scanned = await run('plan', '--json');
    expect(scanned.code, scanned.stderr).toBe(0);
    await manifestOut('--base-url', `http://${HOST}`);

    const planned = await run('plan', '--manifest', 'release.json', '--out', 'plan.json', '--json');
    expect(planned.code, planned.stderr).toBe(0);
    const document: PlanDocument = JSON.parse(planned.stdout);
    const fromScan: PlanDocument = JSON.parse(scanned.stdout);
    // The same plan, made from the same files: only where the release came from differs.
    expect(document).toEqual({
      ...fromScan,
      manifest: { path: 'release.json', createdAt: expect.any(String), files: 7 },
    });
    expect(document).toMatchObject({ version: 3, touch: ['about/index.html', 'assets/app.js'] });
    expect(planned.stderr).toMatch(/manifest: 7 files from release\.json \(not scanning/);
    expect(planned.stderr).not.toMatch(/scan: \d+ files/);
    expect(JSON.parse(await readFile(join(work, 'plan.json'), 'utf8'))).toEqual(document);

    const text = await run('plan', '--manifest', 'release.json');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/release: 7 files from the manifest release\.json .*not a scan/);
    expect(varnish.seen).toEqual([]);

    const applied = await run('deploy', '--plan', 'plan.json', '--json');
    expect(applied.code, applied.stderr).toBe(0);
    const urls = document.providers.flatMap((provider) =>
      provider.entries.flatMap((entry) => (entry.kind === 'urls' ? entry.urls : [])),
    );
    expect(urls.length).toBeGreaterThan(0);
    const expected = urls.map((url) => `PURGE ${HOST}${new URL(url).pathname}`);
    expect([...varnish.seen].sort()).toEqual([...expected].sort());
    expect(JSON.parse(applied.stdout)).toMatchObject({
      ok: true,
      fixed: { touched: document.touch },
    });
  });

  it('plans the manifest, not the disk; deploy --plan then refuses it as stale, sending nothing', async () => {
    await secondRelease();
    await manifestOut();
    // Edited after the manifest was made: plan does not see it (it does not scan) …
    await writeFile(join(work, 'site', 'robots.txt'), 'User-agent: *\nDisallow: /private\n');
    const planned = await run('plan', '--manifest', 'release.json', '--out', 'plan.json', '--json');
    expect(planned.code, planned.stderr).toBe(0);
    const document: PlanDocument = JSON.parse(planned.stdout);
    expect(document.diff.changed).not.toContain('robots.txt');
    expect(document.diff.changed).toContain('assets/app.js');

    // … and deploy, which re-scans, finds the tree is not the planned release.
    const baseline = await readFile(join(work, 'state', 'baseline.json'), 'utf8');
    const refused = await run('deploy', '--plan', 'plan.json');
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(/no longer matches: the tree .*site/);
    expect(varnish.seen).toEqual([]);
    expect(existsSync(join(work, 'hook-ran.txt'))).toBe(false);
    expect(await readFile(join(work, 'state', 'baseline.json'), 'utf8')).toBe(baseline);
  });

  it('refuses --manifest with the hash fix before reading the file (exit 2, names --manifest)', async () => {
    const refused = await run('plan', '--manifest', 'missing.json', '--fix', 'hash');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--manifest cannot be used with fix "hash"/);
    expect(refused.stderr).toMatch(/drop --manifest .*--fix touch or --fix none/);
    expect(refused.stderr).not.toMatch(/does not exist/);
  });

  it('refuses a manifest made for another base URL, naming both', async () => {
    await manifestOut('--base-url', 'https://other.example.test');
    const refused = await run('plan', '--manifest', 'release.json');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /release\.json was made for https:\/\/other\.example\.test, but baseUrl is http:\/\/www\.example\.test/,
    );
    // The same origin written otherwise is the same site.
    await manifestOut('--base-url', `http://${HOST.toUpperCase()}:80/`);
    const same = await run('plan', '--manifest', 'release.json');
    expect(same.code, same.stderr).toBe(0);
  });

  it('refuses a missing or corrupt manifest file as diff does (exit 2, E_MANIFEST)', async () => {
    const missing = await run('plan', '--manifest', 'nope.json');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/release manifest .*nope\.json does not exist/);
    expect(missing.stderr).toMatch(/edgepurge manifest DIR --out FILE/);

    await manifestOut();
    const text = await readFile(join(work, 'release.json'), 'utf8');
    await writeFile(join(work, 'release.json'), text.slice(0, Math.floor(text.length / 2)));
    const corrupt = await run('plan', '--manifest', 'release.json');
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toMatch(/release\.json is not valid JSON: .*truncated/);
    expect(corrupt.stderr).not.toMatch(/this is a bug/);
  });
});
