import { hazardOf } from '../origin/hazard-of.ts';
import { validatorKey } from '../origin/validator-key.ts';
import type { DiffOptions, Hazard, ManifestDiff } from './diff-manifests.ts';
import { type PackedFiles, type PackedManifest, sameSha } from './packed-manifest.ts';

/**
 * `diffManifests` on the packed form: the same result for the same releases (a property test
 * holds the two together), in one merge of the two sorted path columns, comparing hashes as
 * bytes. Pure.
 */
export function diffPackedManifests(
  previous: PackedManifest,
  next: PackedManifest,
  options: DiffOptions = {},
): ManifestDiff {
  const style = options.style ?? 'nginx';
  // Whether the style has a validator at all (`content` has none): then nothing is a hazard.
  const hasValidator = validatorKey(style, { size: 0, mtimeMs: 0 }) !== undefined;
  const before = previous.files;
  const now = next.files;
  const added: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  const hazards: Hazard[] = [];
  let unchanged = 0;
  let i = 0;
  let j = 0;
  while (i < before.count || j < now.count) {
    const order =
      i === before.count ? 1 : j === now.count ? -1 : before.paths.compare(i, now.paths, j);
    if (order < 0) {
      removed.push(before.paths.at(i++));
      continue;
    }
    if (order > 0) {
      added.push(now.paths.at(j++));
      continue;
    }
    // The path is made into a string only when it is reported.
    const same = sameSha(before, i, now, j);
    const hazard = hasValidator ? hazardAt(style, before, i, now, j, same) : undefined;
    if (!same) {
      const path = now.paths.at(j);
      changed.push(path);
      if (hazard === 'validator-unchanged') hazards.push({ path, kind: 'validator-unchanged' });
    } else {
      unchanged++;
      if (hazard === 'needless-change') hazards.push({ path: now.paths.at(j), kind: 'mtime-only' });
    }
    i++;
    j++;
  }
  return { added, changed, removed, unchanged, hazards };
}

/**
 * `hazardOf` for entry `i` of `before` and `j` of `now`. With the same size and mtime the
 * validator is the same whatever the style's formula (it is a function of them), so only
 * the bytes decide; otherwise `hazardOf` itself decides, told whether the bytes are the same.
 */
function hazardAt(
  style: NonNullable<DiffOptions['style']>,
  before: PackedFiles,
  i: number,
  now: PackedFiles,
  j: number,
  same: boolean,
): ReturnType<typeof hazardOf> {
  const size = before.sizes[i] as number;
  const mtimeMs = before.mtimes[i] as number;
  if (size === now.sizes[j] && mtimeMs === now.mtimes[j]) {
    return same ? undefined : 'validator-unchanged';
  }
  // hazardOf compares the hashes only for equality: stand-ins say whether they are equal.
  return hazardOf(
    style,
    { size, mtimeMs, sha256: '' },
    { size: now.sizes[j] as number, mtimeMs: now.mtimes[j] as number, sha256: same ? '' : '-' },
  );
}
