import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const WORKFLOW = new URL('../../examples/github/verify-matrix.yml', import.meta.url);

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

// The copy-paste matrix workflow the README points at: its shards must cover 1..N exactly, every
// shard's report must reach the merge even when the shard fails, and the merge must run then too.
describe('examples/github/verify-matrix.yml', () => {
  const load = async () => parseYaml(await readFile(WORKFLOW, 'utf8'), { uniqueKeys: true });

  it('the matrix lists shards 1..N of the N the command names, and does not fail fast', async () => {
    const doc = await load();
    const verify = doc.jobs.verify;
    const shards: number[] = verify.strategy.matrix.shard;
    const run = (verify.steps as Step[]).find((step) =>
      step.run?.includes('edgepurge verify'),
    )?.run;
    const n = Number(/--shard \$\{\{ matrix\.shard \}\}\/(\d+)/.exec(run ?? '')?.[1]);
    expect(shards).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(verify.strategy['fail-fast']).toBe(false);
    expect(run).toContain('--manifest release.json');
    expect(run).toMatch(/--json > shard-\$\{\{ matrix\.shard \}\}\.json$/);
    const upload = (verify.steps as Step[]).find((step) =>
      step.uses?.startsWith('actions/upload-artifact'),
    );
    expect(upload?.if).toBe('always()');
  });

  it('the merge runs after every shard, also after a failed one, on all their reports', async () => {
    const doc = await load();
    const merge = doc.jobs.merge;
    expect(merge.needs).toBe('verify');
    expect(merge.if).toBe('always()');
    const run = (merge.steps as Step[]).find((step) => step.run?.includes('report merge'))?.run;
    expect(run).toBe(
      'npx edgepurge report merge shard-*.json --out verify.json --report verify.html',
    );
    const download = (merge.steps as Step[]).find((step) =>
      step.uses?.startsWith('actions/download-artifact'),
    );
    expect(download?.with).toMatchObject({ pattern: 'shard-*', 'merge-multiple': true });
  });
});
