import type { ManifestDiff } from '../manifest/diff-manifests.ts';
import { fileEntry, type Manifest } from '../manifest/manifest.ts';
import { type PackedManifest, packedEntryOf } from '../manifest/packed-manifest.ts';
import { absoluteUrl, type UrlOptions, urlPathsFor } from '../plan/map-urls.ts';

/** A URL to prove fresh: it serves `sha256`, or (removed) it is gone. */
export type VerifyTarget =
  | {
      readonly kind: 'serves';
      readonly url: string;
      readonly path: string;
      readonly sha256: string;
      readonly changed: boolean;
      /** Content changed but size and mtime did not, and nothing fixed it. */
      readonly validatorKept: boolean;
    }
  | { readonly kind: 'removed'; readonly url: string; readonly path: string };

/**
 * Every URL a release must prove: each URL of an added or changed file, and each URL of a
 * removed one. `manifest` in either form: the plain one, or the packed one the pipeline holds.
 * Pure.
 */
export function verifyTargets(
  diff: Pick<ManifestDiff, 'added' | 'changed' | 'removed' | 'hazards'>,
  manifest: Manifest | PackedManifest,
  baseUrl: string,
  urls: UrlOptions,
  fixed: ReadonlySet<string> = new Set(),
): VerifyTarget[] {
  const kept = new Set(
    diff.hazards
      .filter((hazard) => hazard.kind === 'validator-unchanged' && !fixed.has(hazard.path))
      .map((hazard) => hazard.path),
  );
  const out: VerifyTarget[] = [];
  const entryOf = isPacked(manifest)
    ? (path: string) => packedEntryOf(manifest, path)
    : (path: string) => fileEntry(manifest, path);
  const serves = (path: string, changed: boolean) => {
    const entry = entryOf(path);
    if (entry === undefined) return;
    for (const urlPath of urlPathsFor(path, urls)) {
      out.push({
        kind: 'serves',
        url: absoluteUrl(baseUrl, urlPath),
        path,
        sha256: entry.sha256,
        changed,
        validatorKept: kept.has(path),
      });
    }
  };
  for (const path of diff.changed) serves(path, true);
  for (const path of diff.added) serves(path, false);
  for (const path of diff.removed) {
    for (const urlPath of urlPathsFor(path, urls)) {
      out.push({ kind: 'removed', url: absoluteUrl(baseUrl, urlPath), path });
    }
  }
  return out;
}

/** Whether `manifest` is packed: its `files` has a hash arena (a plain one maps paths to objects). */
function isPacked(manifest: Manifest | PackedManifest): manifest is PackedManifest {
  return manifest.files.sha256 instanceof Uint8Array;
}
