import { identifyStyle } from './identify-style.ts';
import { opaqueTag, sameValidator } from './opaque-tag.ts';
import { type FileStat, type OriginStyle, plausibleMtimeMs } from './origin-style.ts';
import { styleModel } from './style-models.ts';

/** What is known about the file whose ETag is explained. */
export interface EtagContext {
  /** The release's file, as deployed (after the touch). */
  readonly file: FileStat;
  /** Its mtime before the touch, when the fix step touched it. */
  readonly preTouchMtimeMs?: number;
  /** The file as the baseline recorded it (the previous release). */
  readonly previous?: FileStat;
  /** Where the ETag was seen: through the edge, or at the origin directly. */
  readonly via: 'edge' | 'origin';
}

/**
 * Why `seen` is not the ETag `expected` (the style's prediction for the release's file), in
 * words a user can act on: "origin still serves the pre-touch ETag: the upload did not keep
 * mtimes (rsync without --times / -a?)", "origin ETag is weak: gzip at the origin". Undefined
 * when `seen` is `expected` as it was sent. Pure.
 */
export function explainEtag(
  style: OriginStyle,
  expected: string | undefined,
  seen: string | undefined,
  context: EtagContext,
): string | undefined {
  const where = context.via;
  const observed = opaqueTag(seen);
  if (observed === undefined) {
    return where === 'edge'
      ? 'the edge sends no ETag: it drops it, or the origin sends none (nginx `etag off`, Apache `FileETag None`)'
      : 'the origin sends no ETag (nginx `etag off`, Apache `FileETag None`?): set origin.validators to "none"';
  }
  if (expected !== undefined && sameValidator(seen, expected)) {
    const wanted = opaqueTag(expected);
    if (observed.suffix !== undefined)
      return `${where} ETag carries "${observed.suffix}": compressed at the origin (Apache mod_deflate's DeflateAlterETag); the same validator`;
    if (observed.weak && wanted?.weak !== true) {
      return where === 'origin'
        ? 'origin ETag is weak: gzip at the origin (nginx gzip, Apache mod_deflate), or Apache answering within a second of the file changing; the same validator'
        : 'the edge made the ETag weak: it compressed the response (Varnish, Cloudflare); the same validator';
    }
    return undefined;
  }
  const file = context.file;
  const model = styleModel(style);
  const predictedFor = (stat: FileStat) => model.predict(stat);
  if (
    context.preTouchMtimeMs !== undefined &&
    sameValidator(seen, predictedFor({ size: file.size, mtimeMs: context.preTouchMtimeMs }))
  ) {
    return `${where} still serves the pre-touch ETag: the upload did not keep mtimes (rsync without --times / -a?), or did not copy the touched file`;
  }
  if (context.previous !== undefined && sameValidator(seen, predictedFor(context.previous))) {
    return where === 'edge'
      ? "the edge still serves the previous release's ETag: the purge did not reach it, or it fetched again before the upload finished"
      : "the origin still serves the previous release's file: the upload did not reach it (another root, another host?)";
  }
  const decoded = model.decode(observed.tag, file.size);
  if (decoded !== undefined && plausibleMtimeMs(decoded.mtimeMs)) {
    if (decoded.size !== file.size)
      return `${where} ETag is for a file of ${decoded.size} bytes, the release's has ${file.size}: it serves another file (upload not finished, another root?)`;
    return `the origin's copy has mtime ${new Date(decoded.mtimeMs).toISOString()}, the release's ${new Date(file.mtimeMs).toISOString()}: the upload did not keep mtimes (rsync without --times / -a?)`;
  }
  const other = identifyStyle(seen, file);
  if (other.match === 'exact' && other.style !== style) {
    return `${where} ETag is what ${styleModel(other.style).label} sends, not ${model.label}: set origin.validators to "${other.style}"`;
  }
  if (other.match === 'shape' && other.style !== style) {
    return `${where} ETag has the form of ${styleModel(other.style).label}, not ${model.label}: set origin.validators to "${other.style}"`;
  }
  if (style === 'content') {
    return `${where} ETag ${seen} is not the one expected: the edge or origin still holds other bytes`;
  }
  return `${where} ETag ${seen} is no ${model.label} ETag for this file: a content-derived ETag (S3, Cloudflare Pages, a hash module)? set origin.validators to "content"`;
}
