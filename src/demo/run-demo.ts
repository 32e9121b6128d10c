import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ResolvedConfig, resolvePaths, validateConfig } from '../config/load-config.ts';
import type { Logger } from '../log.ts';
import { deploy } from '../pipeline/deploy.ts';
import { parseConnectTo } from '../verify/connect-to.ts';
import { createHttpClient, type HttpClient } from '../verify/http-client.ts';
import { IDENTITY } from '../verify/snapshot.ts';
import { editSampleSiteInPlace, writeSampleSite } from './sample-site.ts';

/** A running origin + edge the demo deploys to. */
export interface DemoStack {
  readonly description: string;
  readonly edgeUrl: string;
  readonly edgePort: number;
  stop(): Promise<void>;
}

export type StartStack = (root: string) => Promise<DemoStack>;

const HOST = 'www.example.test';
const ASSET = `http://${HOST}/assets/app.js`;

/**
 * The demo as a story: release 1 deployed and cached; release 2 copied with `cp -p` keeps every
 * validator, so the edge serves old bytes and answers 304 to old ETags; a purge alone is not
 * enough; `deploy` with the touch fix purges and proves it. Returns true when the story ended
 * verified. `say` gets the narration; `log` the pipeline's own progress.
 */
export async function runDemo(
  startStack: StartStack,
  say: (line: string) => void,
  log: Logger,
  signal: AbortSignal,
): Promise<boolean> {
  const work = await mkdtemp(join(tmpdir(), 'edgepurge-demo-'));
  const site = join(work, 'site');
  await writeSampleSite(site);
  const stack = await startStack(site);
  const client = createHttpClient({
    connectTo: parseConnectTo([`${HOST}:80:127.0.0.1:${stack.edgePort}`]),
  });
  try {
    say(`1. ${stack.description}`);
    say(`   The public site http://${HOST}/ is reached at ${stack.edgeUrl} (verify.connectTo).`);
    const config = demoConfig(work, site, stack.edgeUrl, stack.edgePort);

    say('\n2. Release 1: edgepurge deploy');
    const first = await deploy(config, { dryRun: false, signal, ports: { log } });
    say(
      `   ${first.diff.added.length} files added, ${first.verify.checked} URLs verified, baseline saved: ${first.baseline.saved}`,
    );

    const v1 = await look(client, signal);
    say(
      `\n3. Visitors load the site; the edge caches it. /assets/app.js: ETag ${v1.etag} (${v1.cache ?? 'cache status unknown'})`,
    );

    const edited = await editSampleSiteInPlace(site);
    say(
      `\n4. Release 2 is copied over with \`cp -p\`: ${edited.join(', ')} change, same size, same mtime.`,
    );
    const stale = await look(client, signal);
    const conditional = await look(client, signal, v1.etag);
    say(
      `   GET /assets/app.js            → ${stale.status}, ${stale.sha === v1.sha ? 'the OLD bytes' : 'new bytes'}, ETag ${stale.etag}`,
    );
    say(
      `   GET with If-None-Match ${v1.etag} → ${conditional.status}${conditional.status === 304 ? ' Not Modified: the browser keeps the old file' : ''}`,
    );

    say('\n5. A purge alone is not proof: edgepurge deploy --fix none');
    const unfixed = await deploy(
      { ...config, fix: 'none' },
      { dryRun: false, signal, ports: { log } },
    );
    say(
      `   purge: ${unfixed.purge.requests} requests accepted; verification: ${unfixed.verify.ok ? 'passed' : 'FAILED'}`,
    );
    for (const url of unfixed.verify.stale) say(`   STALE ${url.url}\n         ${url.reason}`);
    say(`   baseline saved: ${unfixed.baseline.saved} (the next deploy still sees the change)`);

    say('\n6. edgepurge deploy (fix: touch)');
    const fixed = await deploy(config, { dryRun: false, signal, ports: { log } });
    for (const hazard of fixed.diff.hazards) say(`   hazard: ${hazard.path}: ${hazard.kind}`);
    say(`   touched: ${fixed.fixed.touched.join(', ') || 'nothing'}`);
    say(
      `   purge: ${fixed.purge.requests} requests; verified ${fixed.verify.checked} URLs: ${fixed.verify.ok ? 'fresh' : 'STALE'}`,
    );
    say(`   baseline saved: ${fixed.baseline.saved}`);

    const after = await look(client, signal);
    const proof = await look(client, signal, v1.etag);
    say('\n7. The proof, as a visitor sees it:');
    say(
      `   GET /assets/app.js            → ${after.status}, ${after.sha === v1.sha ? 'the OLD bytes' : 'the new bytes'}, ETag ${after.etag}`,
    );
    say(
      `   GET with If-None-Match ${v1.etag} → ${proof.status}${proof.status === 200 ? ' with the new bytes' : ''}`,
    );
    const ok = first.ok && !unfixed.ok && fixed.ok && proof.status === 200 && after.sha !== v1.sha;
    say(
      ok
        ? '\nDone: the deploy stuck, and edgepurge proved it.'
        : '\nThe demo did not end as expected.',
    );
    return ok;
  } finally {
    await client.close();
    await stack.stop();
    await rm(work, { recursive: true, force: true });
  }
}

function demoConfig(work: string, site: string, edgeUrl: string, edgePort: number): ResolvedConfig {
  const config = validateConfig({
    dir: site,
    baseUrl: `http://${HOST}`,
    baseline: join(work, 'baseline.json'),
    providers: [{ type: 'varnish', endpoints: [edgeUrl] }],
    verify: { connectTo: [`${HOST}:80:127.0.0.1:${edgePort}`], timeoutSeconds: 5 },
  });
  return resolvePaths(config, join(work, 'edgepurge.config.json'));
}

async function look(client: HttpClient, signal: AbortSignal, ifNoneMatch?: string) {
  const headers: Record<string, string> = { ...IDENTITY };
  if (ifNoneMatch !== undefined) headers['if-none-match'] = ifNoneMatch;
  const response = await client.probe(ASSET, { headers, signal });
  return {
    status: response.status,
    etag: response.headers.etag ?? '(none)',
    sha: response.sha256,
    cache: response.headers['x-cache'],
  };
}
