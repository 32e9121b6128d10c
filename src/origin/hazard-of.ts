import type { FileVersion, OriginStyle } from './origin-style.ts';
import { validatorKey } from './validator-key.ts';

/**
 * `validator-unchanged`: the bytes changed but the origin's validator will not (an mtime-size
 * ETag at its resolution, or Last-Modified for `none`), so revalidations answer 304 with the
 * old file. `needless-change`: the bytes are the same but the validator changes, so every
 * cache and browser downloads the file again.
 */
export type OriginHazard = 'validator-unchanged' | 'needless-change';

/**
 * The hazard a file's change carries on an origin of `style`; undefined when the validator
 * follows the bytes. Nothing is a hazard on a `content` origin. On nginx two mtimes in the same
 * whole second with the same size are the same validator, whatever their milliseconds. Pure.
 */
export function hazardOf(
  style: OriginStyle,
  previous: FileVersion,
  next: FileVersion,
): OriginHazard | undefined {
  const before = validatorKey(style, previous);
  if (before === undefined) return undefined;
  const same = before === validatorKey(style, next);
  if (previous.sha256 !== next.sha256) return same ? 'validator-unchanged' : undefined;
  return same ? undefined : 'needless-change';
}
