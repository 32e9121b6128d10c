import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePaths, validateConfig } from '../../src/config/load-config.ts';
import { InputError } from '../../src/errors.ts';
import { emptyPackedManifest } from '../../src/manifest/packed-manifest.ts';
import { fileBaselineStore, stateBranchOf } from '../../src/pipeline/baseline-store.ts';
import { defaultBaselineStore } from '../../src/pipeline/deploy.ts';

describe('stateBranchOf', () => {
  it.each([
    ['github:', 'edgepurge-state'],
    ['github:deploy-state', 'deploy-state'],
    ['.edgepurge/baseline.json', undefined],
    ['/abs/github:x.json', undefined],
  ])('%s → %s', (spec, branch) => {
    expect(stateBranchOf(spec)).toBe(branch);
  });
});

describe('fileBaselineStore', () => {
  it('reads nothing before the first save, then what was saved, at the save path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgepurge-store-'));
    const store = fileBaselineStore(join(dir, 'old.json'), join(dir, 'new.json'));
    expect(await store.read()).toBeUndefined();
    await store.write(emptyPackedManifest());
    expect(JSON.parse(await readFile(join(dir, 'new.json'), 'utf8'))).toMatchObject({ files: {} });
    expect(store.location).toBe(join(dir, 'new.json'));
  });
});

describe('defaultBaselineStore', () => {
  it('refuses a github: baseline without an injected store, naming the key', () => {
    const config = resolvePaths(
      validateConfig({ dir: 'public', baseUrl: 'https://x.test', baseline: 'github:' }),
      '/site/edgepurge.config.json',
    );
    expect(() => defaultBaselineStore(config)).toThrow(InputError);
    expect(() => defaultBaselineStore(config)).toThrow(/baseline "github:"/);
  });
});
