export { applyHashPlan, renameMap } from './apply-hash-plan.ts';
export { DEFAULT_HASH_LENGTH, hashedName, hashedPathPattern, isHashedName } from './hashed-name.ts';
export {
  type HashHistory,
  type HashMap,
  mergeHashMap,
  parseHashHistory,
} from './merge-hash-map.ts';
export {
  type HashOptions,
  type HashOutput,
  type HashPlan,
  type HashWarning,
  type PlannedRewrite,
  planHash,
  type SiteFile,
} from './plan-hash.ts';
export { planSiteHash, type SiteHashPlan } from './plan-site-hash.ts';
export { renderHeadersFile, renderNginxSnippet } from './render-cache-policy.ts';
