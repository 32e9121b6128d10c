/**
 * An ETag reduced to what weak comparison (RFC 9110 8.8.3.2) looks at: no `W/`, no quotes, and
 * no content-coding suffix. Apache's mod_deflate appends `-gzip` (mod_brotli `-br`) inside the
 * quotes; some servers and CDNs write `;gzip`. Compression changes the representation, not the
 * file's validator, so these compare equal to the plain one.
 */
export interface OpaqueTag {
  /** The tag between the quotes, suffix removed. */
  readonly tag: string;
  readonly weak: boolean;
  /** The content-coding suffix that was removed (`-gzip`), if any. */
  readonly suffix?: string;
}

const SUFFIX = /[-;](?:gzip|br|deflate|zstd)$/;

/** Parses an ETag header value; undefined when it is missing or empty. */
export function opaqueTag(etag: string | undefined): OpaqueTag | undefined {
  if (etag === undefined) return undefined;
  let value = etag.trim();
  const weak = value.startsWith('W/');
  if (weak) value = value.slice(2);
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  if (value === '') return undefined;
  const suffix = SUFFIX.exec(value)?.[0];
  return suffix === undefined
    ? { tag: value, weak }
    : { tag: value.slice(0, -suffix.length), weak, suffix };
}

/** Weak comparison, tolerating a content-coding suffix. */
export function sameValidator(a: string | undefined, b: string | undefined): boolean {
  const left = opaqueTag(a);
  const right = opaqueTag(b);
  return left !== undefined && right !== undefined && left.tag === right.tag;
}
