import { posix } from 'node:path';

/** Hex digits in a hashed name unless `hash.length` says otherwise. */
export const DEFAULT_HASH_LENGTH = 8;

// One definition of "hashed name", shared by `edgepurge hash` (never rename a hashed file again,
// which makes the command idempotent) and the cache-policy lint (only hashed names may be
// immutable): a dot, 6–64 lowercase hex digits, a dot, then the extension, optionally `.map`.
// The hash is never the first segment, so `deadbeef.png` is not a hashed name.
const HASHED_BASENAME = /^[^.][^/]*?\.([0-9a-f]{6,64})(\.[A-Za-z0-9_-]+)(\.map)?$/;

/** True when the file name (or path) already carries a content hash: `app.3f2a9c1b.js`. */
export function isHashedName(path: string): boolean {
  return HASHED_BASENAME.test(posix.basename(path));
}

/** A regular expression source that matches hashed URL paths, for server config (nginx). */
export function hashedPathPattern(length: number = DEFAULT_HASH_LENGTH): string {
  return `\\.[0-9a-f]{${length}}\\.[A-Za-z0-9_-]+(\\.map)?$`;
}

/**
 * Splits a file name into the stem and the extension the hash goes before: `app.js` →
 * `["app", ".js"]`, `app.js.map` → `["app", ".js.map"]`, `README` → `["README", ""]`,
 * `.nojekyll` → `[".nojekyll", ""]`.
 */
export function splitExtension(basename: string): readonly [string, string] {
  const mapSuffix = basename.endsWith('.map') && basename.length > 4 ? '.map' : '';
  const rest = basename.slice(0, basename.length - mapSuffix.length);
  const dot = rest.lastIndexOf('.');
  if (dot <= 0) return mapSuffix === '' ? [basename, ''] : [rest, mapSuffix];
  return [rest.slice(0, dot), rest.slice(dot) + mapSuffix];
}

/** `assets/app.js` with hash `3f2a9c1b` → `assets/app.3f2a9c1b.js`. */
export function hashedName(path: string, hash: string): string {
  const dir = posix.dirname(path);
  const [stem, ext] = splitExtension(posix.basename(path));
  const name = `${stem}.${hash}${ext}`;
  return dir === '.' ? name : `${dir}/${name}`;
}
