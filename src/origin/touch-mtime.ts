import type { OriginStyle } from './origin-style.ts';
import { styleModel } from './style-models.ts';
import { validatorKey } from './validator-key.ts';

/**
 * The mtime (ms, a whole second) a touch gives a file so that the validator of `style` changes:
 * `now`, or the second after the previous mtime's when `now` is not past it, and one more when
 * the style would still read the same validator there (Express rounds 0.9995 s up into the
 * next second). Never in the previous second, even for styles with a finer ETag (Apache µs,
 * Express ms, Caddy ns): Last-Modified carries whole seconds and `If-Modified-Since` compares
 * them, so it must move too. Undefined for `content`, where the ETag follows the bytes and a
 * touch changes nothing. Deterministic given its inputs.
 */
export function touchMtime(
  style: OriginStyle,
  previousMtimeMs: number,
  nowMs: number,
): number | undefined {
  if (styleModel(style).resolutionMs === undefined) return undefined;
  const previousSecond = Math.floor(previousMtimeMs / 1000);
  let second = Math.max(Math.floor(nowMs / 1000), previousSecond + 1);
  // The size does not matter here: the same on both sides.
  const before = validatorKey(style, { size: 0, mtimeMs: previousMtimeMs });
  while (validatorKey(style, { size: 0, mtimeMs: second * 1000 }) === before) second++;
  return second * 1000;
}
