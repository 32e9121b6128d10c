import { relative, resolve, sep } from 'node:path';
import { error, warning } from '@actions/core';
import type { Redactor } from '../redact.ts';
import type { VerifyReport } from '../verify/report-types.ts';

/** One `::error` / `::warning` line, on the file in the publish directory the URL serves. */
export interface Annotation {
  readonly level: 'error' | 'warning';
  readonly title: string;
  readonly message: string;
  /** Relative to the workspace; absent when the URL serves no file there (a removed file). */
  readonly file?: string;
}

// GitHub shows at most 10 error and 10 warning annotations per step in the run's summary
// (docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands); more are
// kept in the log. Past this many the rest are counted in one line: the summary lists them all.
export const MAX_ANNOTATIONS = 50;

/**
 * The report's stale URLs as errors and its policy warnings as warnings, each on the file that
 * serves the URL, relative to the workspace (`public/assets/app.js`). Pure.
 */
export function reportAnnotations(
  report: VerifyReport,
  dir: string,
  workspace: string,
): Annotation[] {
  const byUrl = new Map(report.urls.map((url) => [url.url, url]));
  const fileOf = (url: string): string | undefined => {
    const entry = byUrl.get(url);
    if (entry === undefined || entry.kind === 'removed') return undefined;
    const path = relative(workspace, resolve(dir, entry.path));
    return path.startsWith(`..${sep}`) ? undefined : path.split(sep).join('/');
  };
  const errors = report.stale.map(
    (stale): Annotation => ({
      level: 'error',
      title: 'edgepurge: stale',
      message: `${stale.url} is stale: ${stale.reason}`,
      ...optionalFile(fileOf(stale.url)),
    }),
  );
  const warnings = report.warnings.map(
    (check): Annotation => ({
      level: 'warning',
      title: `edgepurge: ${check.id}`,
      message: `${check.url}: expected ${check.expected}, seen ${check.seen}${check.message ? `. ${check.message}` : ''}`,
      ...optionalFile(fileOf(check.url)),
    }),
  );
  return [...capped(errors), ...capped(warnings)];
}

/** Prints the annotations as workflow commands. */
export function emitAnnotations(annotations: readonly Annotation[], redactor: Redactor): void {
  for (const annotation of annotations) {
    const emit = annotation.level === 'error' ? error : warning;
    emit(redactor.redact(annotation.message), {
      title: annotation.title,
      ...(annotation.file === undefined ? {} : { file: annotation.file }),
    });
  }
}

function optionalFile(file: string | undefined): { file?: string } {
  return file === undefined ? {} : { file };
}

function capped(annotations: readonly Annotation[]): Annotation[] {
  if (annotations.length <= MAX_ANNOTATIONS) return [...annotations];
  const first = annotations[0] as Annotation;
  return [
    ...annotations.slice(0, MAX_ANNOTATIONS),
    {
      level: first.level,
      title: 'edgepurge',
      message: `… and ${annotations.length - MAX_ANNOTATIONS} more (the step summary and the json output list them all)`,
    },
  ];
}
