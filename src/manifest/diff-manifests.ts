import { hazardOf } from '../origin/hazard-of.ts';
import type { OriginStyle } from '../origin/origin-style.ts';
import { comparePaths, fileEntry, type Manifest } from './manifest.ts';

/**
 * `validator-unchanged`: the content changed but the origin's validator will not (see
 * `hazardOf`: an mtime-size ETag at its resolution, e.g. nginx's whole seconds), so
 * revalidations answer 304 with the old file. `mtime-only`: the mtime changed enough to change
 * the validator but the content did not; no purge is needed.
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

export interface DiffOptions {
  /**
   * How the origin builds validators (default `nginx`: mtime in whole seconds and size, the
   * coarsest mtime ETag, so the one that finds the most `validator-unchanged` hazards). A
   * `content` origin has none. `auto` must be resolved to a style before diffing.
   */
  readonly style?: OriginStyle;
}

/**
 * Compares the last verified release with the new one. Pure; every list is sorted. Hazards
 * follow the origin's validator model (`options.style`).
 */
export function diffManifests(
  previous: Manifest,
  next: Manifest,
  options: DiffOptions = {},
): ManifestDiff {
  const style = options.style ?? 'nginx';
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
    const hazard = hazardOf(style, before, now);
    if (before.sha256 !== now.sha256) {
      changed.push(path);
      if (hazard === 'validator-unchanged') hazards.push({ path, kind: 'validator-unchanged' });
    } else {
      unchanged++;
      if (hazard === 'needless-change') hazards.push({ path, kind: 'mtime-only' });
    }
  }
  for (const path of Object.keys(previous.files).sort(comparePaths)) {
    if (fileEntry(next, path) === undefined) removed.push(path);
  }
  return { added, changed, removed, unchanged, hazards };
}
