import { InputError } from '../errors.ts';
import type { VerifyReport } from '../verify/report-types.ts';
import type { ShardInfo } from '../verify/shard.ts';
import {
  locationReport,
  type VantageLocationReport,
  type VantageReport,
} from '../verify/vantage/vantage-report.ts';

/** A shard report as read from a file, named by where it came from. */
export interface ShardReportFile {
  /** As the user typed it: errors name it. */
  readonly file: string;
  readonly report: unknown;
}

const HINT =
  'pass the `--json` output of `edgepurge verify --shard I/N` from every runner of one run, once each';

/**
 * Combines the `--json` reports of `verify --shard 1/N … N/N` into the report one runner would
 * have written: every URL, stale entry, warning and note, and the vantage locations with their
 * URLs joined. Refuses (InputError, naming the file) a report that is not a shard report, one of
 * another release, config or N, a shard given twice, and a set with a shard missing. The merged
 * verdict fails if any shard failed. Pure.
 */
export function mergeShardReports(files: readonly ShardReportFile[]): VerifyReport {
  if (files.length === 0) {
    throw new InputError('E_USAGE', 'report merge: no reports given', { hint: HINT });
  }
  const shards = files.map(({ file, report }) => ({ file, report: asShardReport(file, report) }));
  const [first] = shards as [(typeof shards)[number], ...typeof shards];
  const lead = first.report.shard;
  const seen = new Map<number, string>();
  for (const { file, report } of shards) {
    const shard = report.shard;
    const differs =
      shard.release !== lead.release
        ? `verified release ${shard.release.slice(0, 12)}, ${first.file} release ${lead.release.slice(0, 12)}`
        : shard.config !== lead.config
          ? `was verified with other settings than ${first.file} (baseUrl, urls, policy, verify.origin or verify.vantage)`
          : shard.count !== lead.count
            ? `is shard ${shard.index}/${shard.count}, ${first.file} is one of ${lead.count}`
            : undefined;
    if (differs !== undefined) {
      throw new InputError('E_MERGE', `${file} ${differs}: not the same run`, {
        at: file,
        hint: HINT,
      });
    }
    const earlier = seen.get(shard.index);
    if (earlier !== undefined) {
      throw new InputError(
        'E_MERGE',
        `${file} is shard ${shard.index}/${shard.count}, like ${earlier}: a shard given twice`,
        { at: file, hint: HINT },
      );
    }
    seen.set(shard.index, file);
  }
  const missing = Array.from({ length: lead.count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0) {
    throw new InputError(
      'E_MERGE',
      `shard${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${lead.count}`).join(', ')} missing: the merged report would not cover every URL`,
      {
        at: files.map((f) => f.file).join(' '),
        hint: "every shard's report is needed (a failed shard still writes one with --json): re-run the missing shard, or upload its report even when it fails (`if: always()`)",
      },
    );
  }
  const reports = shards.map((shard) => shard.report).sort((a, b) => a.shard.index - b.shard.index);
  const starts = reports.map((report) => Date.parse(report.startedAt));
  const start = Math.min(...starts);
  const end = Math.max(...reports.map((report, i) => (starts[i] ?? start) + report.durationMs));
  const notes = [...new Set(reports.flatMap((report) => report.notes ?? []))];
  const vantage = mergeVantage(reports.flatMap((report) => report.vantage ?? []));
  return {
    ok: reports.every((report) => report.ok),
    checked: reports.reduce((sum, report) => sum + report.checked, 0),
    stale: reports.flatMap((report) => report.stale),
    warnings: reports.flatMap((report) => report.warnings),
    urls: reports.flatMap((report) => report.urls),
    ...(notes.length > 0 ? { notes } : {}),
    startedAt: new Date(Number.isFinite(start) ? start : Date.now()).toISOString(),
    durationMs: Number.isFinite(end - start) ? end - start : 0,
    ...(vantage === undefined ? {} : { vantage }),
    merged: { count: lead.count, release: lead.release, config: lead.config },
  };
}

type ShardReport = VerifyReport & { readonly shard: ShardInfo };

function asShardReport(file: string, value: unknown): ShardReport {
  const report = value as Partial<ShardReport> | null;
  const shard = report?.shard as Partial<ShardInfo> | undefined;
  const valid =
    typeof report === 'object' &&
    report !== null &&
    typeof report.ok === 'boolean' &&
    typeof report.checked === 'number' &&
    Array.isArray(report.urls) &&
    Array.isArray(report.stale) &&
    Array.isArray(report.warnings) &&
    typeof report.startedAt === 'string' &&
    typeof report.durationMs === 'number';
  if (!valid) {
    throw new InputError('E_MERGE', `${file} is not an edgepurge verify --json report`, {
      at: file,
      hint: HINT,
    });
  }
  if (
    typeof shard !== 'object' ||
    !Number.isInteger(shard.index) ||
    !Number.isInteger(shard.count) ||
    typeof shard.release !== 'string' ||
    typeof shard.config !== 'string'
  ) {
    throw new InputError(
      'E_MERGE',
      `${file} is a verify report but not of a shard (it has no "shard": run verify --shard I/N)`,
      { at: file, hint: HINT },
    );
  }
  return report as ShardReport;
}

/** Joins the shards' vantage reports: each location's URLs from every shard. */
function mergeVantage(parts: readonly VantageReport[]): VantageReport | undefined {
  const [head] = parts;
  if (head === undefined) return undefined;
  const names = [...new Set(parts.flatMap((part) => part.locations.map((l) => l.location)))];
  const locations: VantageLocationReport[] = names.map((name) => {
    const mine = parts.flatMap((part) => part.locations.filter((l) => l.location === name));
    const probe = mine.find((l) => l.probe !== undefined)?.probe;
    const error = mine.find((l) => l.error !== undefined)?.error;
    return locationReport(
      name,
      mine.flatMap((l) => l.urls),
      probe,
      error,
    );
  });
  const error = parts.find((part) => part.error !== undefined)?.error;
  return {
    provider: head.provider,
    ok: parts.every((part) => part.ok) && locations.every((l) => l.ok),
    urls: parts.flatMap((part) => part.urls),
    changedHtml: parts.reduce((sum, part) => sum + part.changedHtml, 0),
    sampled: parts.reduce((sum, part) => sum + part.sampled, 0),
    tests: parts.reduce((sum, part) => sum + part.tests, 0),
    locations,
    durationMs: Math.max(...parts.map((part) => part.durationMs)),
    ...(error === undefined ? {} : { error }),
  };
}
