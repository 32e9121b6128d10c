import type { ResolvedConfig } from '../config/load-config.ts';
import type { Logger } from '../log.ts';
import type { FileEntry } from '../manifest/manifest.ts';
import { type PackedManifest, packedEntryOf } from '../manifest/packed-manifest.ts';
import type { VerifyReport } from '../verify/report-types.ts';
import type { VerifyTarget } from '../verify/targets.ts';
import { describeProbe } from '../verify/vantage/vantage-report.ts';
import { selectVantageUrls } from '../verify/vantage/vantage-urls.ts';
import {
  expectationsFor,
  type VantageOptions,
  verifyVantage,
} from '../verify/vantage/verify-vantage.ts';

export interface WithVantageInput {
  /** Every target of the run, before any sharding: the sample is drawn from all of them. */
  readonly targets: readonly VerifyTarget[];
  readonly manifest: PackedManifest;
  /** releaseId(previous, release): seeds the sample. */
  readonly release: string;
  readonly env: NodeJS.ProcessEnv;
  readonly signal: AbortSignal;
  readonly log: Logger;
  readonly fetch?: VantageOptions['fetch'];
}

/**
 * `verify.vantage`, after the local checks: when they passed, the changed HTML URLs and a sample
 * of the rest (those this report covers, for a shard) are measured from each location. A stale
 * location makes the report fail like a stale URL: its URLs join `stale`, the location named in
 * each reason. Without `verify.vantage` the report is returned as it is.
 */
export async function withVantage(
  config: ResolvedConfig,
  local: VerifyReport,
  input: WithVantageInput,
): Promise<VerifyReport> {
  const vantageConfig = config.verify.vantage;
  if (vantageConfig === undefined) return local;
  if (!local.ok) {
    input.log.info('vantage: skipped, the local checks failed');
    return local;
  }
  const selection = selectVantageUrls(input.targets, input.release, vantageConfig.sample);
  const covered = new Map(local.urls.map((url) => [url.url, url]));
  const inReport = (target: VerifyTarget) => covered.has(target.url);
  const changedHtml = selection.changedHtml.filter(inReport);
  const sampled = selection.sampled.filter(inReport);
  const measured = [...changedHtml, ...sampled];
  // The entries of the URLs measured only: a few hundred, looked up in the packed release.
  const files: Record<string, FileEntry> = Object.create(null);
  for (const target of measured) {
    const entry = target.kind === 'serves' ? packedEntryOf(input.manifest, target.path) : undefined;
    if (entry !== undefined) files[target.path] = entry;
  }
  const expectations = expectationsFor(measured, files, covered);
  const token = input.env.GLOBALPING_TOKEN?.trim();
  const vantage = await verifyVantage({
    config: vantageConfig,
    expectations,
    counts: { changedHtml: changedHtml.length, sampled: sampled.length },
    ...(token ? { token } : {}),
    timeoutMs: config.verify.timeoutSeconds * 1000,
    signal: input.signal,
    log: input.log,
    ...(input.fetch === undefined ? {} : { fetch: input.fetch }),
  });
  const stale = vantage.locations.flatMap((location) =>
    location.urls
      .filter((url) => !url.fresh)
      .map((url) => ({
        url: url.url,
        reason: `${url.failed ? 'not measured' : 'stale'} from ${location.location} (${describeProbe(location.probe)}): ${url.reason ?? 'stale'}`,
        diagnosis: 'edge-stale' as const,
      })),
  );
  return { ...local, ok: local.ok && vantage.ok, stale: [...local.stale, ...stale], vantage };
}
