import {
  type FileStat,
  mtimeMicroseconds,
  mtimeNanoseconds,
  mtimeSeconds,
  type OriginStyle,
} from './origin-style.ts';
import { styleModel } from './style-models.ts';

/**
 * What of a file the origin's validator holds, at its resolution: `size:mtime-units`. The inode
 * (apache-inode, lighttpd) is left out: a copy over the old file keeps it.
 */
export function validatorKey(style: OriginStyle, file: FileStat): string | undefined {
  const resolution = styleModel(style).resolutionMs;
  if (resolution === undefined) return undefined;
  if (style === 'none') return String(mtimeSeconds(file));
  let mtime: bigint | number;
  if (resolution >= 1000) mtime = mtimeSeconds(file);
  else if (resolution >= 1) mtime = Math.round(file.mtimeMs);
  else if (resolution >= 0.001) mtime = mtimeMicroseconds(file);
  else mtime = mtimeNanoseconds(file);
  return `${file.size}:${mtime}`;
}
