import type { DeployResult } from '../pipeline/result.ts';
import type { Diagnosis, UrlReport, VerifyReport } from '../verify/report-types.ts';

/** What a report may say about the deploy around the verification; all optional context. */
export type DeployContext = Pick<
  DeployResult,
  'diff' | 'fixed' | 'purge' | 'baseline' | 'dryRun' | 'plan'
>;

/** The numbers every report leads with, and the verdict in one line (no icon, no markup). */
export interface ReportSummary {
  readonly ok: boolean;
  readonly checked: number;
  readonly fresh: number;
  readonly stale: number;
  readonly warnings: number;
  /** Present only with a deploy context. */
  readonly purgeRequests?: number;
  readonly baselineSaved?: boolean;
  readonly verdict: string;
}

/** Short names for each layer diagnosis, for table cells. */
export const DIAGNOSIS_LABEL: Readonly<Record<Diagnosis, string>> = {
  fresh: 'fresh',
  'edge-stale': 'edge stale',
  'origin-stale': 'origin stale',
  unknown: 'stale (layer unknown)',
};

/** What each diagnosis means and what to do, for the stale list. */
export const DIAGNOSIS_MEANING: Readonly<Record<Diagnosis, string>> = {
  fresh: 'fresh',
  'edge-stale': 'the origin serves the new bytes but the edge does not: the purge did not take',
  'origin-stale': 'the origin itself serves old bytes: the upload did not reach the origin',
  unknown: 'the origin was not checked (set verify.origin to tell the edge from the origin)',
};

/** Counts and verdict of a verification, with purge and baseline facts when a deploy is given. */
export function summarizeReport(report: VerifyReport, deploy?: DeployContext): ReportSummary {
  const stale = report.stale.length;
  const fresh =
    report.urls.length > 0
      ? report.urls.filter((url) => url.fresh).length
      : Math.max(0, report.checked - stale);
  const base = {
    ok: report.ok,
    checked: report.checked,
    fresh,
    stale,
    warnings: report.warnings.length,
    ...(deploy === undefined
      ? {}
      : { purgeRequests: deploy.purge.requests, baselineSaved: deploy.baseline.saved }),
  };
  return { ...base, verdict: verdictOf(report, base, deploy) };
}

function verdictOf(
  report: VerifyReport,
  counts: { checked: number; stale: number; warnings: number },
  deploy: DeployContext | undefined,
): string {
  if (deploy?.dryRun) return 'Dry run: nothing was written, purged or verified';
  const saved = deploy === undefined ? '' : deploy.baseline.saved ? '; baseline saved' : '';
  const warned = counts.warnings > 0 ? ` (${count(counts.warnings, 'policy warning')})` : '';
  if (report.ok && counts.checked === 0) return `Nothing to verify: no URL changed${saved}`;
  if (report.ok)
    return `Verified: ${counts.checked === 1 ? 'the URL serves' : `all ${counts.checked} URLs serve`} the new release${warned}${saved}`;
  const layers = new Map<Diagnosis, number>();
  for (const stale of report.stale)
    layers.set(stale.diagnosis, (layers.get(stale.diagnosis) ?? 0) + 1);
  const where = [...layers]
    .map(([diagnosis, n]) => `${n} ${DIAGNOSIS_LABEL[diagnosis]}`)
    .join(', ');
  const notSaved = deploy === undefined ? '' : '; baseline not saved';
  const what =
    counts.stale > 0
      ? `${counts.stale} of ${counts.checked} URLs still stale (${where})`
      : 'verification failed';
  return `Not verified: ${what}${notSaved}`;
}

/**
 * What the fix did, in words every report uses: `2 files touched`, and with `fix: "hash"`
 * `…, 3 renamed to content-hash names, 2 rewritten`.
 */
export function fixSummary(fixed: DeployContext['fixed']): string {
  const parts = [`${count(fixed.touched.length, 'file')} touched`];
  if (fixed.renamed !== undefined)
    parts.push(
      `${fixed.renamed.length} renamed to content-hash names`,
      `${fixed.rewritten?.length ?? 0} rewritten`,
    );
  return parts.join(', ');
}

/** `1 file`, `2 files`; `many` for irregular plurals. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The order every per-URL list uses: stale first, each group in the report's order. */
export function staleFirst(urls: readonly UrlReport[]): UrlReport[] {
  return [...urls.filter((url) => !url.fresh), ...urls.filter((url) => url.fresh)];
}

/** `850 ms`, `1.2 s`, `12 s`, `2 min 05 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, '0')} s`;
}

// The cache status headers worth a glance, most telling first.
const STATUS_HEADERS = ['cf-cache-status', 'x-cache', 'x-cache-status', 'age'];

/** The cache status headers in one short string: `HIT, age 12`. Empty when there are none. */
export function cacheStatus(cache: Readonly<Record<string, string>>): string {
  const lower = new Map(Object.entries(cache).map(([k, v]) => [k.toLowerCase(), v]));
  const parts: string[] = [];
  for (const name of STATUS_HEADERS) {
    const value = lower.get(name);
    if (value === undefined || value === '') continue;
    parts.push(name === 'age' ? `age ${value}` : value);
  }
  if (parts.length === 0 && lower.has('via')) parts.push(`via ${lower.get('via')}`);
  return parts.join(', ');
}

/** Every cache header as `name: value` pairs, for detail views. */
export function cacheHeaders(cache: Readonly<Record<string, string>>): string {
  return Object.entries(cache)
    .map(([name, value]) => `${name}: ${value}`)
    .join('; ');
}

/** Time-to-fresh percentile (nearest rank) over the URLs that became fresh, or undefined. */
export function percentile(sortedMs: readonly number[], p: number): number | undefined {
  if (sortedMs.length === 0) return undefined;
  const rank = Math.min(sortedMs.length, Math.max(1, Math.ceil((p / 100) * sortedMs.length)));
  return sortedMs[rank - 1];
}
