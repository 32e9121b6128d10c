/**
 * `diff OLD NEW` and `plan --manifest` read two large manifests at once, one on a worker thread
 * (read-packed-manifest-pair.ts). The result must be the very PackedManifest the serial reads
 * give, a refused, truncated or missing file must give the same error and exit code as reading
 * one after the other, and an abort must stop the worker. The files are generated above
 * PARALLEL_READ_MIN_BYTES, so the worker path is the one taken.
 */
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatError } from '../../src/format-error.ts';
import {
  readPackedManifestFile,
  requirePackedManifestFile,
  writeManifestFile,
  writePackedManifestFile,
} from '../../src/manifest/baseline-file.ts';
import { diffPackedManifests } from '../../src/manifest/diff-packed-manifests.ts';
import { emptyFiles, GENERATOR, MANIFEST_VERSION } from '../../src/manifest/manifest.ts';
import { type PackedManifest, unpackManifest } from '../../src/manifest/packed-manifest.ts';
import {
  PARALLEL_READ_MIN_BYTES,
  readPackedManifestPair,
} from '../../src/manifest/read-packed-manifest-pair.ts';
import { createRedactor } from '../../src/redact.ts';
import { changedRelease, generatedFiles, manifestOf } from '../support/generated-manifest.ts';
import { runMain } from '../support/run-main.ts';

// ~220 bytes of JSON per file: ~19 MB, over the 16 MiB threshold.
const FILES = 85_000;

let work: string;
const file = (name: string) => join(work, name);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'edgepurge-read-at-once-'));
  const old = generatedFiles(FILES);
  await writePackedManifestFile(file('old.json'), manifestOf(old));
  await writePackedManifestFile(file('new.json'), manifestOf(changedRelease(old)));
  // Paths beyond ASCII (the table decodes them as UTF-8), a baseUrl and recorded validators.
  const files = emptyFiles();
  const validators: Record<string, { etag: string }> = {};
  for (let i = 0; i < FILES; i++) {
    const path = `dé/ünï-${String(i).padStart(6, '0')}/🙂.html`;
    files[path] = { size: i, mtimeMs: 1_700_000_000_000 + i, sha256: sha(i), type: 'text/html' };
    if (i % 1000 === 0) validators[`https://www.example.test/${path}`] = { etag: `"${i}"` };
  }
  const base = { version: MANIFEST_VERSION, generator: GENERATOR, createdAt: 'then' } as const;
  const baseUrl = 'https://www.example.test';
  await writeManifestFile(file('unicode.json'), { ...base, baseUrl, files, validators });
  // A truncated copy (cut inside its last entry), and one with an upper-case hash in its last
  // entry (refused mid-stream).
  const text = await readFile(file('new.json'));
  await writeFile(file('truncated.json'), text.subarray(0, text.length - 100));
  const last = text.lastIndexOf('"sha256": "') + '"sha256": "'.length;
  await writeFile(
    file('hostile.json'),
    Buffer.concat([text.subarray(0, last), Buffer.from('A'.repeat(64)), text.subarray(last + 64)]),
  );
  for (const name of ['old', 'new', 'unicode', 'truncated', 'hostile']) {
    expect((await stat(file(`${name}.json`))).size).toBeGreaterThan(PARALLEL_READ_MIN_BYTES);
  }
});

function sha(i: number): string {
  return (i * 2_654_435_761).toString(16).padStart(8, '0').slice(-8).repeat(8);
}

/** Every column and field of two packed manifests, compared. */
function expectSameManifest(actual: PackedManifest, expected: PackedManifest): void {
  const { files: a, ...aRest } = actual;
  const { files: b, ...bRest } = expected;
  expect(aRest).toEqual(bRest);
  expect(a.count).toBe(b.count);
  expect([...a.paths]).toEqual([...b.paths]);
  expect(a.paths.parts.ascii).toBe(b.paths.parts.ascii);
  expect(Buffer.from(a.sha256).equals(Buffer.from(b.sha256))).toBe(true);
  expect(a.sizes).toEqual(b.sizes);
  expect(a.mtimes).toEqual(b.mtimes);
  expect(a.typeIds).toEqual(b.typeIds);
  expect(a.types).toEqual(b.types);
  expect(unpackManifest(actual)).toEqual(unpackManifest(expected));
}

describe('readPackedManifestPair: two large manifests at once', () => {
  it.each([
    ['old.json', 'new.json'],
    ['unicode.json', 'old.json'],
  ])('%s (on the worker) and %s give what two serial reads give', async (first, second) => {
    const [a, b] = await readPackedManifestPair(
      { path: file(first), at: 'first' },
      { path: file(second), at: 'second' },
    );
    expectSameManifest(a as PackedManifest, (await readPackedManifestFile(file(first))) as never);
    expectSameManifest(b as PackedManifest, (await readPackedManifestFile(file(second))) as never);
    // Still usable for what diff does with it: the transferred buffers are live, not detached.
    expect(diffPackedManifests(a as PackedManifest, b as PackedManifest).changed.length).toBe(
      first === 'old.json' ? FILES / 100 : 0,
    );
  });

  it('a missing baseline (no `what`) is undefined, as readPackedManifestFile says', async () => {
    const [a, b] = await readPackedManifestPair(
      { path: file('new.json'), at: '--manifest', what: 'release manifest' },
      { path: file('none.json'), at: 'baseline' },
    );
    expect(a.files.count).toBe(FILES);
    expect(b).toBeUndefined();
  });

  it('an abort terminates the worker before it is thrown', async () => {
    // Threads of this process: the libuv pool exists after a first read; a worker adds one.
    await readPackedManifestFile(file('old.json'));
    const threads = () => readdirSync('/proc/self/task').length;
    const before = threads();
    const controller = new AbortController();
    const reason = new Error('interrupted');
    const read = readPackedManifestPair(
      { path: file('old.json'), at: 'old' },
      { path: file('new.json'), at: 'new' },
      controller.signal,
    );
    // Aborted as soon as the worker's thread exists: long before it can have read 19 MB.
    while (threads() === before) await new Promise((resolve) => setImmediate(resolve));
    controller.abort(reason);
    await expect(read).rejects.toBe(reason);
    expect(threads()).toBe(before);
  });
});

describe('diff of two large manifests: the errors of reading one after the other', () => {
  /** What `diff` printed before the reads ran at once: the serial reads' first error. */
  async function serialError(oldName: string, newName: string): Promise<string> {
    try {
      await requirePackedManifestFile(file(oldName), 'old manifest');
      await requirePackedManifestFile(file(newName), 'new manifest');
    } catch (error) {
      return `${formatError(error, createRedactor()).text}\n`;
    }
    throw new Error('expected a refusal');
  }

  it.each([
    ['truncated.json', 'new.json', 'truncated (the worker read it)'],
    ['hostile.json', 'new.json', 'an upper-case hash (the worker read it)'],
    ['old.json', 'truncated.json', 'truncated (this thread read it)'],
    ['truncated.json', 'hostile.json', 'both refused: the old one first'],
    ['none.json', 'new.json', 'the old one missing'],
    ['old.json', 'none.json', 'the new one missing'],
    ['hostile.json', 'none.json', 'the old one refused, the new one missing'],
  ])('diff %s %s: %s', async (oldName, newName) => {
    const expected = await serialError(oldName, newName);
    const run = await runMain(['diff', oldName, newName], { cwd: work });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(expected);
    expect(run.stdout).toBe('');
  });

  it('an interrupted diff stops its worker and exits as an interrupted run', async () => {
    await readPackedManifestFile(file('old.json'));
    const threads = () => readdirSync('/proc/self/task').length;
    const before = threads();
    const controller = new AbortController();
    const run = runMain(['diff', 'old.json', 'new.json'], {
      cwd: work,
      signal: controller.signal,
    });
    while (threads() === before) await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    const { code, stderr } = await run;
    expect(code).toBe(1);
    expect(stderr).toContain('interrupted');
    expect(threads()).toBe(before);
  });

  it('diff of the two prints what diffPackedManifests of the serial reads gives', async () => {
    const run = await runMain(['diff', 'old.json', 'new.json', '--json'], { cwd: work });
    expect(run.code).toBe(0);
    const old = await requirePackedManifestFile(file('old.json'));
    const next = await requirePackedManifestFile(file('new.json'));
    expect(JSON.parse(run.stdout)).toEqual(
      JSON.parse(JSON.stringify(diffPackedManifests(old, next))),
    );
  });
});

describe('plan --manifest with a large file baseline: both read at once', () => {
  /** A config whose baseline is `baseline`; plan sends nothing, so the endpoint is never used. */
  async function config(baseline: string, baseUrl = 'http://www.example.test'): Promise<string> {
    await mkdir(file('site'), { recursive: true });
    const path = file(`plan-${baseline}-${baseUrl.length}.json`);
    const providers = [{ type: 'varnish', endpoints: ['http://127.0.0.1:9'] }];
    await writeFile(
      path,
      JSON.stringify({ dir: 'site', baseUrl, baseline, fix: 'touch', providers }),
    );
    return path;
  }

  it('plans from the baseline read beside the manifest', async () => {
    const run = await runMain(
      ['plan', '--config', await config('old.json'), '--manifest', 'new.json', '--json'],
      { cwd: work },
    );
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout) as { diff: { changed: string[]; added: string[] } };
    expect(document.diff.changed).toHaveLength(FILES / 100);
    expect(document.diff.added).toEqual([]);
  });

  it('a truncated baseline: the error reading it alone gives, after the release was read', async () => {
    let expected = '';
    await readPackedManifestFile(file('truncated.json'), 'baseline').catch((error: unknown) => {
      expected = `${formatError(error, createRedactor()).text}\n`;
    });
    expect(expected).toContain('truncated');
    const run = await runMain(
      ['plan', '--config', await config('truncated.json'), '--manifest', 'new.json'],
      { cwd: work },
    );
    expect(run.code).toBe(2);
    expect(run.stderr.endsWith(expected)).toBe(true);
  });

  it("the manifest's own checks still come before the baseline's refusal", async () => {
    // unicode.json was made for https://www.example.test: refused before the baseline is used.
    const run = await runMain(
      ['plan', '--config', await config('truncated.json'), '--manifest', 'unicode.json'],
      { cwd: work },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('was made for https://www.example.test');
    expect(run.stderr).not.toContain('truncated');
  });
});
