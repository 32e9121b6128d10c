import type { FileStat, OriginStyle } from './origin-style.ts';
import { styleModel } from './style-models.ts';

/**
 * The ETag an origin of `style` sends for a file of this size and mtime, quoted (and `W/` for
 * Express), or undefined when the style cannot know it (`content`, `none`; `apache-inode` and
 * `lighttpd` without the inode). Pure.
 */
export function predictEtag(style: OriginStyle, file: FileStat): string | undefined {
  return styleModel(style).predict(file);
}

/**
 * The smallest mtime step, in milliseconds, that changes the validator of `style`: nginx 1000
 * (1 s), Apache 0.001 (1 µs), Express 1 (1 ms), Caddy 1e-6 (1 ns; Caddy < 2.8: 1 s), lighttpd
 * 1e-6, `none` 1000 (Last-Modified); undefined for `content`, whose ETag follows the bytes.
 */
export function validatorResolution(style: OriginStyle): number | undefined {
  return styleModel(style).resolutionMs;
}
