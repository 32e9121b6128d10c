import { randomBytes } from 'node:crypto';
import { GENERATOR, MANIFEST_VERSION } from '../../src/manifest/manifest.ts';
import type { PackedFiles, PackedManifest } from '../../src/manifest/packed-manifest.ts';
import { PathTableBuilder } from '../../src/manifest/path-table.ts';

const TYPES = ['text/html; charset=utf-8', 'text/css; charset=utf-8', 'image/png', 'image/webp'];

/**
 * `count` files nested 4 deep (`d07/d3/d4/f0123456.html`), built straight into packed columns
 * in path order, with random hashes: a large release in a fraction of a second, no disk.
 */
export function generatedFiles(count: number): PackedFiles {
  const paths = new PathTableBuilder();
  for (let i = 0; i < count; i++) {
    const top = String(Math.floor(i / 100_000)).padStart(2, '0');
    const file = String(i).padStart(7, '0');
    paths.add(
      `d${top}/d${Math.floor(i / 10_000) % 10}/d${Math.floor(i / 1000) % 10}/f${file}.html`,
    );
  }
  const sizes = new Float64Array(count);
  const mtimes = new Float64Array(count);
  const typeIds = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    sizes[i] = 1000 + (i % 50_000);
    // As a build leaves them: nanoseconds, so ~17 significant digits in the JSON.
    mtimes[i] = 1_732_000_000_000 + i * 7 + ((i * 7919) % 1_000_000) / 1e6;
    typeIds[i] = i % TYPES.length;
  }
  return {
    count,
    paths: paths.finish(),
    sha256: randomBytes(count * 32),
    sizes,
    mtimes,
    typeIds,
    types: TYPES,
  };
}

/** The next release: every 100th file with new bytes, size and mtime (a rebuild of 1 %). */
export function changedRelease(files: PackedFiles): PackedFiles {
  const sha256 = Uint8Array.from(files.sha256);
  const sizes = Float64Array.from(files.sizes);
  const mtimes = Float64Array.from(files.mtimes);
  for (let i = 0; i < files.count; i += 100) {
    sha256[i * 32] = (sha256[i * 32] as number) ^ 0xff;
    sizes[i] = (sizes[i] as number) + 1;
    mtimes[i] = (mtimes[i] as number) + 60_000;
  }
  return { ...files, sha256, sizes, mtimes };
}

/** A release manifest around `files`. */
export function manifestOf(files: PackedFiles): PackedManifest {
  return { version: MANIFEST_VERSION, generator: GENERATOR, createdAt: '', files };
}
