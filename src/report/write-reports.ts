import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { checkWritable } from '../check-writable.ts';
import { InputError, JobError } from '../errors.ts';
import type { Redactor } from '../redact.ts';
import type { VerifyReport } from '../verify/report-types.ts';
import { renderHtml } from './render-html.ts';
import { renderMarkdown } from './render-markdown.ts';
import type { DeployContext } from './summarize-report.ts';

export type ReportFormat = 'markdown' | 'html';

export interface ReportTarget {
  readonly path: string;
  readonly format: ReportFormat;
}

const FORMATS: Readonly<Record<string, ReportFormat>> = {
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.html': 'html',
  '.htm': 'html',
};

/**
 * Resolves `--report` values to files and formats, by extension. Called before any work, so a
 * wrong value exits 2 with nothing done.
 */
export async function reportTargets(
  values: readonly string[] | undefined,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<ReportTarget[]> {
  const summary = env.GITHUB_STEP_SUMMARY;
  if (summary !== undefined && summary !== '') await checkWritable(summary, 'GITHUB_STEP_SUMMARY');
  const targets = (values ?? []).map((value) => {
    const format = FORMATS[extname(value).toLowerCase()];
    if (format === undefined) {
      throw new InputError('E_USAGE', `--report ${value}: unknown report format`, {
        at: '--report',
        hint: 'name a .md (Markdown) or .html file; --json prints the full result on stdout',
      });
    }
    return { path: resolve(cwd, value), format };
  });
  for (const target of targets) await checkWritable(target.path, '--report');
  return targets;
}

/**
 * Writes each report, and appends the Markdown summary to `$GITHUB_STEP_SUMMARY` when GitHub
 * Actions sets it. Secrets are redacted on the way out by the run's `redactor`, as for every
 * other output.
 */
export async function writeReports(
  report: VerifyReport,
  deploy: DeployContext | undefined,
  targets: readonly ReportTarget[],
  env: NodeJS.ProcessEnv,
  redactor: Redactor,
): Promise<string[]> {
  const written: string[] = [];
  try {
    for (const target of targets) {
      const body =
        target.format === 'html' ? renderHtml(report, deploy) : renderMarkdown(report, deploy);
      await mkdir(dirname(target.path), { recursive: true });
      await writeFile(target.path, redactor.redact(body));
      written.push(target.path);
    }
    const summary = env.GITHUB_STEP_SUMMARY;
    if (summary !== undefined && summary !== '') {
      await appendFile(summary, `${redactor.redact(renderMarkdown(report, deploy))}\n`);
      written.push(summary);
    }
  } catch (error) {
    throw new JobError('E_WRITE', `writing a report failed: ${(error as Error).message}`, {
      hint: 'checked before the run, the path changed since; the deploy itself is done',
      cause: error,
    });
  }
  return written;
}
