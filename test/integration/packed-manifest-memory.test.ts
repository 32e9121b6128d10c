import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePackedManifestFile } from '../../src/manifest/baseline-file.ts';
import { changedRelease, generatedFiles, manifestOf } from '../support/generated-manifest.ts';
import { runProcess } from '../support/run-process.ts';

const FILES = 200_000;
// The heap cap both forms get. Measured on this build (200,000 files, 1 % changed): the packed
// form reads and diffs both manifests under a 32 MB cap (24 MB is too little for Node's own
// start-up) and ends with ~25-28 MB of heap used; the plain form (streamed, then unpacked:
// ~270 B of heap per file per manifest) runs out of heap at 96 MB and needs 128 MB (124 used).
const CAP_MB = 48;
const CHILD = join(import.meta.dirname, '..', 'support', 'diff-manifest-files.ts');

describe(`two ${FILES}-file manifests, read and diffed under a ${CAP_MB} MB heap`, () => {
  let dir: string;
  let previous: string;
  let next: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgepurge-packed-memory-'));
    previous = join(dir, 'previous.json');
    next = join(dir, 'next.json');
    // Written with the streaming writer straight from packed columns: a second or two.
    const files = generatedFiles(FILES);
    await writePackedManifestFile(previous, manifestOf(files));
    await writePackedManifestFile(next, manifestOf(changedRelease(files)));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const diffUnderCap = (form: 'packed' | 'plain') =>
    runProcess(process.execPath, [`--max-old-space-size=${CAP_MB}`, CHILD, form, previous, next], {
      cwd: dir,
      env: { PATH: process.env.PATH },
    });

  it('fit in the packed form, with the whole diff', async () => {
    const run = await diffUnderCap('packed');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      added: 0,
      changed: FILES / 100,
      removed: 0,
      unchanged: FILES - FILES / 100,
      hazards: 0,
    });
  });

  it('do not fit in the plain form', async () => {
    const run = await diffUnderCap('plain');
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('heap out of memory');
  });
});
