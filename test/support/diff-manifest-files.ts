/**
 * `node diff-manifest-files.ts packed|plain OLD NEW`: reads two manifest files and diffs them,
 * in the packed form or in the plain one, and prints the diff's counts as JSON. The memory
 * test runs it under a heap cap (`--max-old-space-size`) to see which form fits.
 */
import { readManifestFile, readPackedManifestFile } from '../../src/manifest/baseline-file.ts';
import { diffManifests } from '../../src/manifest/diff-manifests.ts';
import { diffPackedManifests } from '../../src/manifest/diff-packed-manifests.ts';
import type { Manifest } from '../../src/manifest/manifest.ts';
import type { PackedManifest } from '../../src/manifest/packed-manifest.ts';

const [form, oldPath, newPath] = process.argv.slice(2) as [string, string, string];
const diff =
  form === 'packed'
    ? diffPackedManifests(
        (await readPackedManifestFile(oldPath)) as PackedManifest,
        (await readPackedManifestFile(newPath)) as PackedManifest,
      )
    : diffManifests(
        (await readManifestFile(oldPath)) as Manifest,
        (await readManifestFile(newPath)) as Manifest,
      );
process.stdout.write(
  `${JSON.stringify({
    added: diff.added.length,
    changed: diff.changed.length,
    removed: diff.removed.length,
    unchanged: diff.unchanged,
    hazards: diff.hazards.length,
    heapUsedMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
  })}\n`,
);
