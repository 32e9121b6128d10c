// The library door: the same core the CLI and the Action use.
export {
  type ConfigOverrides,
  loadConfig,
  type ResolvedConfig,
  validateConfig,
} from './config/load-config.ts';
export type { Config, ConfigInput, ProviderConfig } from './config/schema.ts';
export { EdgepurgeError, InputError, JobError } from './errors.ts';
export { touchFiles } from './fix/touch-files.ts';
export type { Logger } from './log.ts';
export { readManifestFile, writeManifestFile } from './manifest/baseline-file.ts';
export { diffManifests, type Hazard, type ManifestDiff } from './manifest/diff-manifests.ts';
export {
  type FileEntry,
  type Manifest,
  parseManifest,
  serializeManifest,
} from './manifest/manifest.ts';
export { scanDir } from './manifest/scan-dir.ts';
export { type DeployOptions, deploy, prepareRelease } from './pipeline/deploy.ts';
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
