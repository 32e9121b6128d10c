/**
 * Review, then apply: `plan --out plan.json` writes the plan document and `deploy --plan
 * plan.json` executes exactly it — the PURGE requests the Varnish endpoint receives are the
 * plan's entries — or refuses it (exit 2, nothing sent, nothing touched, no hook) when the tree,
 * the baseline or the providers changed, or when it is another version or was edited. In
 * process, through `main(argv, io)`, against the embedded origin and caching edge.
 */
import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlanDocument } from '../../src/pipeline/plan-document.ts';
import {
  PLAN_APPLY_HOST,
  type PlanApplySite,
  startPlanApplySite,
} from '../support/plan-apply-site.ts';
import type { RecordingVarnish } from '../support/recording-varnish.ts';
import type { MainRun } from '../support/run-main.ts';

const HOST = PLAN_APPLY_HOST;

describe('plan --out, then deploy --plan', () => {
  let site: PlanApplySite;
  let work: string;
  let varnish: RecordingVarnish;
  let run: PlanApplySite['run'];
  let secondRelease: PlanApplySite['secondRelease'];
  let writeConfig: PlanApplySite['writeConfig'];

  beforeEach(async () => {
    site = await startPlanApplySite('edgepurge-plan-apply-');
    ({ work, varnish, run, secondRelease, writeConfig } = site);
  });
  afterEach(() => site.close());

  async function planOut(): Promise<PlanDocument> {
    const planned = await run('plan', '--out', 'plan.json', '--json');
    expect(planned.code, planned.stderr).toBe(0);
    const written = JSON.parse(await readFile(join(work, 'plan.json'), 'utf8'));
    expect(written).toEqual(JSON.parse(planned.stdout));
    return written;
  }

  /** Asserts a refused deploy changed nothing: no request, no hook, no touch, the same baseline. */
  async function expectNothingDone(refused: MainRun, baselineBefore: string, says: RegExp) {
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(says);
    expect(refused.stderr).toMatch(/plan --out FILE` again/);
    expect(varnish.seen).toEqual([]);
    expect(existsSync(join(work, 'hook-ran.txt'))).toBe(false);
    expect(await readFile(join(work, 'state', 'baseline.json'), 'utf8')).toBe(baselineBefore);
    // The fix did not run: the edited files keep the mtime `cp -p` left them.
    const app = await stat(join(work, 'site', 'assets', 'app.js'));
    expect(app.mtime.toISOString()).toBe('2024-05-01T12:00:00.000Z');
  }

  it('applies exactly the plan: the requests sent are its entries, and --json carries it with reasons', async () => {
    await secondRelease();
    const plan = await planOut();
    expect(plan).toMatchObject({ version: 3, touch: ['about/index.html', 'assets/app.js'] });
    expect(plan.digests.baseline).toMatch(/^[0-9a-f]{64}$/);
    expect(plan.digests.release).toMatch(/^[0-9a-f]{64}$/);
    expect(varnish.seen).toEqual([]);

    const applied = await run(
      'deploy',
      '--plan',
      'plan.json',
      '--json',
      '--report',
      'report.md',
      '--report',
      'report.html',
    );
    expect(applied.code, applied.stderr).toBe(0);
    const planned = plan.providers.flatMap((provider) =>
      provider.entries.flatMap((entry) => (entry.kind === 'urls' ? entry.urls : [])),
    );
    expect(planned.length).toBe(plan.urls);
    expect(planned.length).toBeGreaterThan(0);
    const expected = planned.map((url) => `PURGE ${HOST}${new URL(url).pathname}`);
    expect([...varnish.seen].sort()).toEqual([...expected].sort());
    const json = JSON.parse(applied.stdout);
    expect(json).toMatchObject({ ok: true, fixed: { touched: plan.touch } });
    expect(json.plan.providers).toEqual(plan.providers);
    expect(json.plan.providers[0].entries.every((e: { reason?: string }) => e.reason)).toBe(true);
    expect(await readFile(join(work, 'hook-ran.txt'), 'utf8')).toBe('ran\n');
    // The reports carry the executed plan, every entry with its reason.
    const markdown = await readFile(join(work, 'report.md'), 'utf8');
    const entries = plan.providers[0]?.entries ?? [];
    expect(markdown).toContain(`The plan executed: ${entries.length} purge`);
    for (const entry of entries)
      expect(markdown).toContain(`| varnish | ${entry.kind} | ${entry.reason} |`);
    const html = await readFile(join(work, 'report.html'), 'utf8');
    expect(html).toContain('The plan executed');
    expect(html).toContain('<td>hazard</td>');
  });

  it('refuses a plan whose tree changed since: exit 2, nothing sent, no hook, no touch', async () => {
    await secondRelease();
    await planOut();
    const baseline = await readFile(join(work, 'state', 'baseline.json'), 'utf8');
    await writeFile(join(work, 'site', 'robots.txt'), 'User-agent: *\nDisallow: /private\n');
    const refused = await run('deploy', '--plan', 'plan.json');
    await expectNothingDone(refused, baseline, /no longer matches: the tree .*site/);
  });

  it('refuses a plan whose fix no longer matches (deploy --fix none after plan with touch)', async () => {
    await secondRelease();
    await planOut();
    const baseline = await readFile(join(work, 'state', 'baseline.json'), 'utf8');
    const refused = await run('deploy', '--plan', 'plan.json', '--fix', 'none');
    await expectNothingDone(refused, baseline, /the files to fix \(2 to touch planned, 0 now/);
  });

  it('refuses a plan whose baseline changed since', async () => {
    await secondRelease();
    await planOut();
    const path = join(work, 'state', 'baseline.json');
    const stored = JSON.parse(await readFile(path, 'utf8'));
    delete stored.files['robots.txt'];
    const baseline = `${JSON.stringify(stored, null, 2)}\n`;
    await writeFile(path, baseline);
    const refused = await run('deploy', '--plan', 'plan.json');
    await expectNothingDone(refused, baseline, /no longer matches: the baseline .*baseline\.json/);
  });

  it('refuses a plan whose providers changed since', async () => {
    await secondRelease();
    await planOut();
    const baseline = await readFile(join(work, 'state', 'baseline.json'), 'utf8');
    await writeConfig({ concurrency: 2 });
    const refused = await run('deploy', '--plan', 'plan.json');
    await expectNothingDone(refused, baseline, /no longer matches: the providers/);
  });

  it('refuses a plan of another version, and one edited after plan wrote it', async () => {
    await secondRelease();
    const plan = await planOut();
    const baseline = await readFile(join(work, 'state', 'baseline.json'), 'utf8');

    await writeFile(join(work, 'old.json'), JSON.stringify({ ...plan, version: 1 }));
    const old = await run('deploy', '--plan', 'old.json');
    expect(old.stderr).toMatch(/plan of version 1; this edgepurge applies version 3/);
    await expectNothingDone(old, baseline, /--plan/);

    const entries = plan.providers[0]?.entries ?? [];
    const edited = {
      ...plan,
      providers: [{ ...plan.providers[0], entries: entries.slice(1) }],
    };
    await writeFile(join(work, 'edited.json'), JSON.stringify(edited));
    const tampered = await run('deploy', '--plan', 'edited.json');
    expect(tampered.code).toBe(2);
    expect(tampered.stderr).toMatch(/requests were changed after `plan` wrote it/);
    expect(varnish.seen).toEqual([]);
  });
});
