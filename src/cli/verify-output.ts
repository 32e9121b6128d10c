import { createProgress, type Progress, useColor } from '../report/progress.ts';
import { renderUrlTable } from '../report/render-table.ts';
import type { DeployContext } from '../report/summarize-report.ts';
import { type ReportTarget, writeReports } from '../report/write-reports.ts';
import type { VerifyReport } from '../verify/report-types.ts';
import type { VerifyCounts } from '../verify/verify-release.ts';
import type { CliIO } from './io.ts';

/**
 * Live verification progress on stderr, created at the first update (the total is known only
 * then). `finish` ends the line; it does nothing when verification never started.
 */
export function verifyProgress(io: CliIO): {
  onProgress: (counts: VerifyCounts, total: number) => void;
  finish: () => void;
} {
  let progress: Progress | undefined;
  return {
    onProgress(counts, total) {
      progress ??= createProgress(io.stderr, io.env, total);
      progress.update(counts);
    },
    finish: () => progress?.done(),
  };
}

/** The per-URL table for the terminal: stale URLs first, a bounded number of fresh ones. */
export function urlTable(io: CliIO, report: VerifyReport): string {
  if (report.urls.length === 0) return '';
  const stdout = io.stdout as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  return renderUrlTable(report, {
    width: stdout.columns ?? 100,
    maxRows: 20,
    color: useColor(stdout, io.env),
  });
}

/** Writes `--report` files (and the GitHub step summary), naming each on stderr. */
export async function emitReports(
  io: CliIO,
  report: VerifyReport,
  deploy: DeployContext | undefined,
  targets: readonly ReportTarget[],
): Promise<void> {
  const written = await writeReports(report, deploy, targets, io.env, io.redactor);
  for (const path of written) io.stderr.write(`report: ${path}\n`);
}
