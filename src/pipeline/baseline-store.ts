import { readPackedManifestFile, writePackedManifestFile } from '../manifest/baseline-file.ts';
import type { PackedManifest } from '../manifest/packed-manifest.ts';

/**
 * Where the last verified release's manifest lives: a local file, or a GitHub state branch
 * (`src/github/`). The pipeline reads it before planning and writes it only after verification
 * passed; it never knows which kind it holds.
 */
export interface BaselineStore {
  /** Where, for logs and reports: a path, or `github:edgepurge-state (production)`. */
  readonly location: string;
  /** The stored manifest, packed (read streaming); `undefined` when none was stored yet (a first deploy). */
  read(signal?: AbortSignal): Promise<PackedManifest | undefined>;
  /**
   * Stores the manifest whole, or throws (JobError). A store that can see another writer
   * (compare-and-swap against what `read` saw) fails with `E_BASELINE_RACE` instead of
   * overwriting what that writer saved.
   */
  write(manifest: PackedManifest, signal?: AbortSignal): Promise<void>;
}

/** `github:` or `github:BRANCH` in `baseline` / `saveBaseline` names a state branch. */
export const GITHUB_BASELINE = /^github:(.*)$/;

/** The default state branch of a `github:` baseline. */
export const DEFAULT_STATE_BRANCH = 'edgepurge-state';

/** The branch a `github:[BRANCH]` spec names, or undefined for a file path. Pure. */
export function stateBranchOf(spec: string): string | undefined {
  const match = GITHUB_BASELINE.exec(spec);
  if (match === null) return undefined;
  return match[1] === '' || match[1] === undefined ? DEFAULT_STATE_BRANCH : match[1];
}

/** A baseline kept in local files: read from one path, written atomically to another. */
export function fileBaselineStore(readPath: string, writePath = readPath): BaselineStore {
  return {
    location: writePath,
    read: (signal) => readPackedManifestFile(readPath, 'baseline', signal),
    write: (manifest) => writePackedManifestFile(writePath, manifest),
  };
}
