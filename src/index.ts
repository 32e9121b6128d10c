// The library door: the same core the CLI and the Action use.
export {
  type ConfigOverrides,
  loadConfig,
  type ResolvedConfig,
  validateConfig,
} from './config/load-config.ts';
export type { Config, ConfigInput, ProviderConfig } from './config/schema.ts';
export { EdgepurgeError, InputError, JobError } from './errors.ts';
export { touchFiles, touchPackedFiles } from './fix/touch-files.ts';
export type { Logger } from './log.ts';
export {
  readManifestFile,
  readPackedManifestFile,
  writeManifestFile,
  writePackedManifestFile,
} from './manifest/baseline-file.ts';
export { diffManifests, type Hazard, type ManifestDiff } from './manifest/diff-manifests.ts';
export { diffPackedManifests } from './manifest/diff-packed-manifests.ts';
export {
  type FileEntry,
  type Manifest,
  parseManifest,
  serializeManifest,
} from './manifest/manifest.ts';
export type { PathList } from './manifest/merged-paths.ts';
export {
  emptyPackedManifest,
  knownPaths,
  type PackedFiles,
  type PackedManifest,
  packedEntryOf,
  packManifest,
  unpackManifest,
} from './manifest/packed-manifest.ts';
export type { PathTable } from './manifest/path-table.ts';
export { parsePackedManifest, readManifestStream } from './manifest/read-manifest-stream.ts';
export { scanDir, scanDirPacked } from './manifest/scan-dir.ts';
export { manifestChunks, writeManifestStream } from './manifest/write-manifest-stream.ts';
export type { BaselineStore } from './pipeline/baseline-store.ts';
export { type DeployOptions, deploy, prepareRelease, type Release } from './pipeline/deploy.ts';
export type { DeployPorts, HttpClientFactory, JournalStore } from './pipeline/deploy-ports.ts';
export {
  type PlanDocument,
  planDocument,
  readPlanDocument,
  writePlanDocument,
} from './pipeline/plan-document.ts';
export { planRelease } from './pipeline/plan-release.ts';
export type { DeployResult } from './pipeline/result.ts';
export { urlPathsFor } from './plan/map-urls.ts';
export { type PurgePlan, planManualPurge, planPurges } from './plan/plan-purges.ts';
export { createCloudflareProvider } from './providers/cloudflare.ts';
export { createFastlyProvider } from './providers/fastly.ts';
export {
  createProviders,
  dryRunProvider,
  PROVIDERS,
  type Provider,
  type ProviderDefinition,
} from './providers/index.ts';
export { createVarnishProvider } from './providers/varnish.ts';
export { executePlan } from './purge/execute-plan.ts';
export { createRedactor, type Redactor, registerSecretsFromEnv } from './redact.ts';
export { mergeShardReports } from './report/merge-reports.ts';
export { renderHtml } from './report/render-html.ts';
export { renderMarkdown } from './report/render-markdown.ts';
export { lintCachePolicy, type PolicyRule } from './verify/cache-policy.ts';
export { createHttpClient } from './verify/http-client.ts';
export type { Check, CheckId, Diagnosis, UrlReport, VerifyReport } from './verify/report-types.ts';
export { parseShard, type Shard, type ShardInfo, selectShard } from './verify/shard.ts';
export { verifyTargets } from './verify/targets.ts';
export type { VantageReport } from './verify/vantage/vantage-report.ts';
export { verifyVantage } from './verify/vantage/verify-vantage.ts';
export { verifyRelease } from './verify/verify-release.ts';
