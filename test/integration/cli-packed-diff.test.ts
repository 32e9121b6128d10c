import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffManifests } from '../../src/manifest/diff-manifests.ts';
import { parseManifest } from '../../src/manifest/manifest.ts';
import { runMain } from '../support/run-main.ts';

describe('manifest and diff through the packed, streamed form', () => {
  it('writes the manifest to stdout as --out does, and diffs as diffManifests', async () => {
    const work = await mkdtemp(join(tmpdir(), 'edgepurge-packed-cli-'));
    const site = join(work, 'public');
    await mkdir(join(site, 'docs'), { recursive: true });
    const when = new Date('2024-05-01T10:00:00.250Z');
    for (const [name, text] of [
      ['index.html', '<h1>home</h1>'],
      ['docs/a.html', 'a'],
      ['docs/b.css', 'b {}'],
      ['gone.txt', 'old'],
    ] as const) {
      await writeFile(join(site, name), text);
      await utimes(join(site, name), when, when);
    }
    expect((await runMain(['manifest', 'public', '--out', 'old.json'], { cwd: work })).code).toBe(
      0,
    );
    // cp -p: new bytes, the same size and mtime (a validator-unchanged hazard on nginx).
    await writeFile(join(site, 'docs/a.html'), 'A');
    await utimes(join(site, 'docs/a.html'), when, when);
    await writeFile(join(site, 'new.js'), 'x');
    await rm(join(site, 'gone.txt'));
    const printed = await runMain(['manifest', 'public'], { cwd: work });
    expect(printed.code).toBe(0);
    expect((await runMain(['manifest', 'public', '--out', 'new.json'], { cwd: work })).code).toBe(
      0,
    );
    const written = await readFile(join(work, 'new.json'), 'utf8');
    // The same bytes but createdAt, which each scan stamps anew.
    const stamp = /"createdAt": "[^"]*"/;
    expect(printed.stdout.replace(stamp, '')).toBe(written.replace(stamp, ''));

    const diff = await runMain(['diff', 'old.json', 'new.json', '--json'], { cwd: work });
    expect(diff.code).toBe(0);
    const plain = diffManifests(
      parseManifest(await readFile(join(work, 'old.json'), 'utf8'), 'old'),
      parseManifest(written, 'new'),
    );
    expect(JSON.parse(diff.stdout)).toEqual(plain);
    expect(plain).toMatchObject({
      added: ['new.js'],
      changed: ['docs/a.html'],
      removed: ['gone.txt'],
      hazards: [{ path: 'docs/a.html', kind: 'validator-unchanged' }],
    });
  });
});
