/**
 * How an origin builds its validators: the value the planner (hazards, the touch) and the
 * verifier (the ETag a changed file must now have) share. Each style's formula, with the source
 * that proves it, lives in its own file; `styleModel` finds it.
 */

/** Every style `origin.validators` accepts (besides `auto`). */
export const ORIGIN_STYLES = [
  'nginx',
  'apache',
  'apache-inode',
  'express',
  'caddy',
  'caddy-2.8',
  'caddy-2.0',
  'lighttpd',
  'content',
  'none',
] as const;

export type OriginStyle = (typeof ORIGIN_STYLES)[number];

/** `origin.validators`: a style, or `auto` (identified from what the origin serves). */
export type ValidatorsSetting = OriginStyle | 'auto';

/** What a style needs to know about a file to predict its ETag. */
export interface FileStat {
  readonly size: number;
  readonly mtimeMs: number;
  /**
   * The exact mtime in nanoseconds (`fs.stat(path, { bigint: true }).mtimeNs`). Without it the
   * nanoseconds are derived from `mtimeMs`, a double that holds about a quarter of a
   * microsecond: exact for mtimes a touch or `utimes` set in whole milliseconds.
   */
  readonly mtimeNs?: bigint;
  /** The inode number, for the styles that put it in the ETag (`apache-inode`, `lighttpd`). */
  readonly inode?: bigint | number;
}

/** A file's size and mtime as the diff sees them, and what its bytes are. */
export interface FileVersion {
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}

/** What a decoded ETag says about the file it was made from. */
export interface DecodedEtag {
  readonly size: number;
  readonly mtimeMs: number;
  readonly inode?: bigint;
}

/** One style's formula, decoder and resolution. */
export interface StyleModel {
  readonly style: OriginStyle;
  /** Who builds validators this way, for messages ("nginx's ngx_http_set_etag"). */
  readonly label: string;
  /**
   * The smallest mtime step that changes the ETag, in milliseconds (nginx 1000, Apache 0.001,
   * Express 1, Caddy 1e-6); `undefined` when the ETag does not follow the mtime (`content`).
   * For `none` it is Last-Modified's whole second, the only validator left.
   */
  readonly resolutionMs: number | undefined;
  /** Whether the origin sends the ETag weak (`W/`) by default. */
  readonly weak: boolean;
  /** The ETag the origin sends for `file`, or undefined when it cannot be known from it. */
  predict(file: FileStat): string | undefined;
  /**
   * The size and mtime an ETag of this style encodes, read from its opaque tag (no quotes, no
   * `W/`, no encoding suffix); undefined when the tag has another shape. `size` is the local
   * file's, which splits formats with no separator between mtime and size (Caddy < 2.11).
   */
  decode(tag: string, size: number): DecodedEtag | undefined;
  /** How far a decoded mtime may be from the manifest's and still be the same file. */
  readonly toleranceMs: number;
}

/** Whether `value` names a style (the config's enum, a flag, a plan document). */
export function isOriginStyle(value: string): value is OriginStyle {
  return (ORIGIN_STYLES as readonly string[]).includes(value);
}

/**
 * The mtime in nanoseconds: exact when the stat gave it, else from `mtimeMs` to the whole
 * microsecond. A double near 1.7e12 ms is off by up to 0.122 µs (half of 2^-12 ms), so the
 * fraction is floored after adding 0.125 µs: an mtime set in whole µs (utimes, touch, tar)
 * comes back exact, and one with nanoseconds is right unless they are within 0.125 µs of the
 * next microsecond.
 */
export function mtimeNanoseconds(file: Pick<FileStat, 'mtimeMs' | 'mtimeNs'>): bigint {
  if (file.mtimeNs !== undefined) return file.mtimeNs;
  const wholeMs = Math.floor(file.mtimeMs);
  const microseconds = Math.floor((file.mtimeMs - wholeMs) * 1000 + 0.125);
  return BigInt(wholeMs) * 1_000_000n + BigInt(microseconds) * 1000n;
}

/** Whole seconds since the epoch, as `st_mtime` (and Last-Modified) holds them. */
export function mtimeSeconds(file: Pick<FileStat, 'mtimeMs' | 'mtimeNs'>): number {
  return Number(floorDiv(mtimeNanoseconds(file), 1_000_000_000n));
}

/** Whole microseconds, as APR's `apr_time_t` (Apache) holds them: the nanoseconds truncated. */
export function mtimeMicroseconds(file: Pick<FileStat, 'mtimeMs' | 'mtimeNs'>): number {
  return Number(floorDiv(mtimeNanoseconds(file), 1000n));
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/** An mtime decoded from an ETag is believable: between 1990 and 2200. */
export function plausibleMtimeMs(mtimeMs: number): boolean {
  return mtimeMs >= 631_152_000_000 && mtimeMs <= 7_258_118_400_000;
}
