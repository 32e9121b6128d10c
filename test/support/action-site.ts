import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DemoEdge, startEdge } from '../../src/demo/edge-proxy.ts';
import { type DemoServer, startOrigin } from '../../src/demo/origin-server.ts';
import { writeSampleSite } from '../../src/demo/sample-site.ts';
import { type FakeGitHub, startFakeGitHub } from './fake-github.ts';
import { type RunnerFiles, runnerFiles } from './run-action.ts';

/** A runner's files with the sample site, its origin, a caching edge and the GitHub fake. */
export interface ActionSite {
  readonly files: RunnerFiles;
  readonly origin: DemoServer;
  readonly edge: DemoEdge;
  readonly github: FakeGitHub;
  close(): Promise<void>;
}

/**
 * The sample site in a runner's workspace, served by the embedded origin behind the embedded
 * caching edge, with the GitHub fake, and an `edgepurge.config.json` that purges and verifies
 * `host` through that edge: what the Action's integration tests run the step against.
 */
export async function startActionSite(host: string): Promise<ActionSite> {
  const files = await runnerFiles();
  await writeSampleSite(join(files.workspace, 'site'));
  const origin = await startOrigin({ root: join(files.workspace, 'site') });
  const edge = await startEdge({ origin: origin.url });
  const github = await startFakeGitHub();
  await writeFile(
    join(files.workspace, 'edgepurge.config.json'),
    JSON.stringify({
      dir: 'site',
      baseUrl: `http://${host}`,
      baseline: '.edgepurge/baseline.json',
      providers: [{ type: 'varnish', endpoints: [edge.url] }],
      verify: { connectTo: [`${host}:80:127.0.0.1:${edge.port}`], timeoutSeconds: 2 },
    }),
  );
  return {
    files,
    origin,
    edge,
    github,
    close: async () => {
      await edge.close();
      await origin.close();
      await github.close();
    },
  };
}
