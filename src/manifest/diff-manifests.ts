import { comparePaths, fileEntry, type Manifest } from './manifest.ts';

/**
 * `validator-unchanged`: the content changed but size and mtime did not, so an mtime-size ETag
 * (nginx, Apache, Express) and Last-Modified stay the same and revalidations answer 304.
 * `mtime-only`: the mtime changed but the content did not; no purge is needed.
 */
export type HazardKind = 'validator-unchanged' | 'mtime-only';

export interface Hazard {
  readonly path: string;
  readonly kind: HazardKind;
}

export interface ManifestDiff {
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  readonly unchanged: number;
  readonly hazards: readonly Hazard[];
}

/**
 * Compares the last verified release with the new one. Pure; every list is sorted.
 * Mtimes compare at whole seconds, the resolution of nginx's ETag and of Last-Modified.
 */
export function diffManifests(previous: Manifest, next: Manifest): ManifestDiff {
  const added: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  const hazards: Hazard[] = [];
  let unchanged = 0;

  for (const path of Object.keys(next.files).sort(comparePaths)) {
    const now = fileEntry(next, path);
    const before = fileEntry(previous, path);
    if (now === undefined) continue;
    if (before === undefined) {
      added.push(path);
      continue;
    }
    const sameMtime = seconds(before.mtimeMs) === seconds(now.mtimeMs);
    if (before.sha256 !== now.sha256) {
      changed.push(path);
      if (sameMtime && before.size === now.size)
        hazards.push({ path, kind: 'validator-unchanged' });
    } else {
      unchanged++;
      if (!sameMtime) hazards.push({ path, kind: 'mtime-only' });
    }
  }
  for (const path of Object.keys(previous.files).sort(comparePaths)) {
    if (fileEntry(next, path) === undefined) removed.push(path);
  }
  return { added, changed, removed, unchanged, hazards };
}

function seconds(mtimeMs: number): number {
  return Math.floor(mtimeMs / 1000);
}
