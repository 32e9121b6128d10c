import type { DecodedEtag, FileStat, StyleModel } from './origin-style.ts';

/**
 * Express's `express.static` (serve-static → send): `W/"<hex size>-<hex mtime ms>"`.
 * Source: the `etag` package (jshttp/etag, index.js, stattag()): `'"' + stat.size.toString(16) +
 * '-' + stat.mtime.getTime().toString(16) + '"'`, weak by default for fs.Stats; send calls
 * `etag(stat)`. `stat.mtime` is `new Date(Math.round(mtimeMs))` in Node 20 and 24 (checked on
 * both; lib/internal/fs/utils.js dateFromMs), so the milliseconds are rounded, not truncated.
 */
export const expressStyle: StyleModel = {
  style: 'express',
  label: 'Express / send (etag package: W/"hex(size)-hex(mtime ms)")',
  resolutionMs: 1,
  weak: true,
  // An older Node truncated instead of rounding: accept either millisecond.
  toleranceMs: 1,
  predict: (file: FileStat) =>
    `W/"${file.size.toString(16)}-${Math.round(file.mtimeMs).toString(16)}"`,
  decode(tag: string): DecodedEtag | undefined {
    const match = /^([0-9a-f]{1,13})-([0-9a-f]{1,12})$/.exec(tag);
    if (match === null) return undefined;
    return {
      size: Number.parseInt(match[1] as string, 16),
      mtimeMs: Number.parseInt(match[2] as string, 16),
    };
  },
};
