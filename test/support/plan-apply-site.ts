import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startEdge } from '../../src/demo/edge-proxy.ts';
import { startOrigin } from '../../src/demo/origin-server.ts';
import { editSampleSiteInPlace, writeSampleSite } from '../../src/demo/sample-site.ts';
import { type RecordingVarnish, recordingVarnish } from './recording-varnish.ts';
import { type MainRun, runMain } from './run-main.ts';

export const PLAN_APPLY_HOST = 'www.example.test';
const HOST = PLAN_APPLY_HOST;

/** The sample site served by the embedded origin and edge, planned and deployed in process. */
export interface PlanApplySite {
  /** The folder holding `site/`, `edgepurge.config.json`, `state/` and `hook-ran.txt`. */
  readonly work: string;
  /** The Varnish endpoint the config purges: what it was sent. */
  readonly varnish: RecordingVarnish;
  /** Writes the config, with `provider` merged into its one Varnish provider. */
  writeConfig(provider?: Record<string, unknown>): Promise<void>;
  /** `edgepurge …argv` in `work`, in process. */
  run(...argv: string[]): Promise<MainRun>;
  /** The first release deployed, the second edited in place (two validator hazards). */
  secondRelease(): Promise<void>;
  close(): Promise<void>;
}

/**
 * What the `plan` → `deploy --plan` tests run against: the sample site in a new folder, its
 * origin, a caching edge, a recording Varnish endpoint in front of it, and a config with an
 * upload hook that leaves `hook-ran.txt`.
 */
export async function startPlanApplySite(prefix: string): Promise<PlanApplySite> {
  const work = await mkdtemp(join(tmpdir(), prefix));
  await writeSampleSite(join(work, 'site'));
  const origin = await startOrigin({ root: join(work, 'site') });
  const edge = await startEdge({ origin: origin.url });
  const varnish = await recordingVarnish(edge);
  const writeConfig = (provider: Record<string, unknown> = {}) =>
    writeFile(
      join(work, 'edgepurge.config.json'),
      JSON.stringify({
        dir: 'site',
        baseUrl: `http://${HOST}`,
        baseline: 'state/baseline.json',
        providers: [{ type: 'varnish', endpoints: [varnish.url], ...provider }],
        hooks: { upload: 'echo ran >> hook-ran.txt' },
        verify: { connectTo: [`${HOST}:80:127.0.0.1:${edge.port}`], timeoutSeconds: 2 },
      }),
    );
  await writeConfig();
  const run = (...argv: string[]) => runMain(argv, { cwd: work, env: { PATH: process.env.PATH } });
  return {
    work,
    varnish,
    writeConfig,
    run,
    secondRelease: async () => {
      const first = await run('deploy', '--json');
      expect(first.code, first.stderr).toBe(0);
      await editSampleSiteInPlace(join(work, 'site'));
      await rm(join(work, 'hook-ran.txt'));
      varnish.seen.length = 0;
    },
    close: async () => {
      await new Promise((resolve) => varnish.server.close(resolve));
      await edge.close();
      await origin.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}
