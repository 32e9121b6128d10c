import { execFileSync } from 'node:child_process';
import { mkdtemp, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { MAX_MANIFEST_BYTES, readManifestFile } from '../../src/manifest/baseline-file.ts';

async function refusal(path: string): Promise<InputError> {
  try {
    await readManifestFile(path, 'baseline');
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected the read to be refused');
}

describe('readManifestFile refuses what is not a manifest file, at once, naming the key', () => {
  it('a FIFO (which would block forever)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgepurge-fifo-'));
    const fifo = join(dir, 'baseline.json');
    execFileSync('mkfifo', [fifo]);
    const error = await refusal(fifo);
    expect(error.at).toBe('baseline');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('not a regular file');
  });

  it('a device that never ends (/dev/zero)', async () => {
    const error = await refusal('/dev/zero');
    expect(error.message).toContain('not a regular file');
  });

  it('a directory', async () => {
    const error = await refusal(tmpdir());
    expect(error.message).toContain('not a regular file');
  });

  it('a file larger than a manifest may be (sparse, so the test writes nothing)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgepurge-big-'));
    const big = join(dir, 'baseline.json');
    await writeFile(big, '');
    await truncate(big, MAX_MANIFEST_BYTES + 1);
    const error = await refusal(big);
    expect(error.message).toContain('over the');
    expect(error.hint).toContain('baseline');
  });

  it('a missing file is a first deploy, not an error', async () => {
    expect(await readManifestFile(join(tmpdir(), 'edgepurge-none', 'b.json'))).toBeUndefined();
  });
});
