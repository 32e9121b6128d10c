import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashFileLines } from '../../src/manifest/hash-file-lines.ts';
import { PackedFilesBuilder } from '../../src/manifest/packed-files-builder.ts';
import { type PackedFiles, shaHexAt } from '../../src/manifest/packed-manifest.ts';

/** The lines as strings, as the digests were first defined. */
function reference(files: PackedFiles, sizes: boolean): string {
  const hash = createHash('sha256');
  for (let i = 0; i < files.count; i++) {
    const tail = sizes ? `\0${files.sizes[i]}\0${files.mtimes[i]}` : '';
    hash.update(`${files.paths.at(i)}\0${shaHexAt(files, i)}${tail}\n`);
  }
  return hash.digest('hex');
}

function filesOf(paths: readonly string[]): PackedFiles {
  const builder = new PackedFilesBuilder();
  paths.forEach((path, i) => {
    const index = builder.add(path, i * 977, 1_700_000_000_000 + i * 1.0000001, 'text/plain');
    builder.setSha(index, createHash('sha256').update(path).digest());
  });
  return builder.finish().files;
}

describe('hashFileLines', () => {
  it('hashes the same bytes as the per-file strings, with and without sizes', () => {
    const paths = Array.from({ length: 5000 }, (_, i) =>
      i % 11 === 0 ? `d${i}/é😀\uFFFD/${i}.html` : `d${i % 7}/f${i}.txt`,
    ).sort();
    // One path longer than the 64 KiB batch, and numbers at their longest.
    paths.push(`z/${'x'.repeat(70_000)}`);
    const files = filesOf(paths);
    for (const sizes of [false, true]) {
      const hash = createHash('sha256');
      hashFileLines(hash, files, { sizes });
      expect(hash.digest('hex')).toBe(reference(files, sizes));
    }
    const odd = new PackedFilesBuilder();
    odd.setSha(
      odd.add('a', Number.MAX_SAFE_INTEGER, -1.2345678901234567e308, 't'),
      new Uint8Array(32),
    );
    const oddFiles = odd.finish().files;
    const hash = createHash('sha256');
    hashFileLines(hash, oddFiles, { sizes: true });
    expect(hash.digest('hex')).toBe(reference(oddFiles, true));
  });
});
