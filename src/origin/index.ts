export {
  detectOriginStyle,
  type FetchLike,
  type OriginStyleDetection,
  type StyleSample,
} from './detect-origin-style.ts';
export { type EtagContext, explainEtag } from './explain-etag.ts';
export { hazardOf, type OriginHazard } from './hazard-of.ts';
export { type IdentifyOptions, identifyStyle, type StyleIdentification } from './identify-style.ts';
export { opaqueTag, sameValidator } from './opaque-tag.ts';
export {
  type DecodedEtag,
  type FileStat,
  type FileVersion,
  isOriginStyle,
  ORIGIN_STYLES,
  type OriginStyle,
  type StyleModel,
  type ValidatorsSetting,
} from './origin-style.ts';
export { predictEtag, validatorResolution } from './predict-etag.ts';
export { probeFetch, resolveOriginStyle, styleSamplePaths } from './resolve-origin-style.ts';
export { styleModel } from './style-models.ts';
export { touchMtime } from './touch-mtime.ts';
