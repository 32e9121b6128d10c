import { type PackedManifest, packedEntryOf } from '../manifest/packed-manifest.ts';
import { explainEtag } from '../origin/explain-etag.ts';
import { sameValidator } from '../origin/opaque-tag.ts';
import type { OriginStyle } from '../origin/origin-style.ts';
import { predictEtag } from '../origin/predict-etag.ts';

/**
 * What verify needs to say why an ETag is not the one a changed file must now have: the
 * origin's validator model, and the file as deployed, as scanned before the touch, and as the
 * previous release had it.
 */
export interface EtagModel {
  readonly style: OriginStyle;
  /** The release as deployed: after the touch (the manifest the baseline saves). */
  readonly release: PackedManifest;
  /** The release as scanned, before the touch: its mtimes are the pre-touch ones. */
  readonly scanned?: PackedManifest;
  /** The baseline: the release browsers hold. */
  readonly previous?: PackedManifest;
}

/**
 * Why `seen` (the ETag the edge or the origin serves for `path`) is not the ETag the model
 * predicts for the release's file, in words (see `explainEtag`); undefined when it is that ETag,
 * when the file is not in the release, or when there is no model. Pure.
 */
export function explainServedEtag(
  model: EtagModel | undefined,
  path: string,
  seen: string | undefined,
  via: 'edge' | 'origin',
): string | undefined {
  if (model === undefined) return undefined;
  const file = packedEntryOf(model.release, path);
  if (file === undefined) return undefined;
  const expected = predictEtag(model.style, file);
  if (expected !== undefined && sameValidator(seen, expected)) return undefined;
  const scanned = model.scanned === undefined ? undefined : packedEntryOf(model.scanned, path);
  const previous = model.previous === undefined ? undefined : packedEntryOf(model.previous, path);
  return explainEtag(model.style, expected, seen, {
    file,
    via,
    ...(scanned !== undefined && scanned.mtimeMs !== file.mtimeMs
      ? { preTouchMtimeMs: scanned.mtimeMs }
      : {}),
    ...(previous !== undefined ? { previous } : {}),
  });
}
