import type { Check, UrlReport, VerifyReport } from '../verify/report-types.ts';
import { invalidationLines } from './invalidation-lines.ts';
import { planRows, purgeOrderLine, targetsCell } from './plan-rows.ts';
import {
  cacheStatus,
  count,
  type DeployContext,
  DIAGNOSIS_LABEL,
  DIAGNOSIS_MEANING,
  fixSummary,
  formatDuration,
  staleFirst,
  summarizeReport,
} from './summarize-report.ts';
import { vantageMarkdown } from './vantage-sections.ts';

export interface MarkdownOptions {
  /**
   * Most UTF-8 bytes the document may take. GitHub refuses a step summary above 1 MiB ("each step
   * is restricted to a maximum size of 1MiB. … If more than 1MiB of content is added for a step,
   * then the upload for the step will fail":
   * https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#step-isolation-and-limits),
   * and that budget is shared by everything the step appends, so the default leaves room.
   */
  readonly maxBytes?: number;
}

/** 900 KiB: under GitHub's 1 MiB per-step summary limit with room for what else the step writes. */
export const DEFAULT_MARKDOWN_BYTES = 900 * 1024;

// A cell longer than this is cut: one pathological URL or message must not eat the budget.
const MAX_CELL = 300;

/**
 * The report as GitHub-flavoured Markdown, for `--report FILE.md` and `$GITHUB_STEP_SUMMARY`:
 * a one-line verdict, a summary table, the stale URLs with diagnosis and reason, the policy
 * warnings, and every URL in a collapsed `<details>`. Lists are cut, with a note saying how many
 * rows were left out, so the whole stays within `maxBytes`. Pure.
 */
export function renderMarkdown(
  report: VerifyReport,
  deploy?: DeployContext,
  options: MarkdownOptions = {},
): string {
  const budget = new Budget(options.maxBytes ?? DEFAULT_MARKDOWN_BYTES);
  const summary = summarizeReport(report, deploy);
  const icon = deploy?.dryRun ? '🧪' : summary.ok ? '✅' : '❌';
  const head: string[] = [
    `### ${icon} edgepurge: ${text(summary.verdict)}`,
    '',
    '| checked | fresh | stale | warnings | purge requests | baseline saved |',
    '| ---: | ---: | ---: | ---: | ---: | :--- |',
    `| ${summary.checked} | ${summary.fresh} | ${summary.stale} | ${summary.warnings} | ${summary.purgeRequests ?? '—'} | ${summary.baselineSaved === undefined ? '—' : summary.baselineSaved ? 'yes' : '**no**'} |`,
    '',
  ];
  if (deploy !== undefined) {
    const d = deploy.diff;
    head.push(
      `Release: ${d.added.length} added, ${d.changed.length} changed, ${d.removed.length} removed, ${d.unchanged} unchanged; ${count(d.hazards.length, 'validator hazard')}, ${fixSummary(deploy.fixed)}; ${count(deploy.purge.requests, 'purge request')}. Verification took ${formatDuration(report.durationMs)}.`,
      '',
    );
    // The providers' turns as they ran (inner first; a shield's second round after its first).
    const order = purgeOrderLine(deploy.purge);
    if (order !== undefined) head.push(`Purge ${text(order)}.`, '');
    for (const failure of deploy.purge.failed)
      head.push(`- purge failed on ${text(failure.provider)}: ${text(failure.error)}`);
    if (deploy.purge.failed.length > 0) head.push('');
    const invalidations = invalidationLines(deploy.purge);
    for (const line of invalidations) head.push(`- ${text(line)}`);
    if (invalidations.length > 0) head.push('');
  }
  for (const note of report.notes ?? []) head.push(`> **Note:** ${text(note)}`, '');
  head.push(...vantageMarkdown(report, { text, code }));
  budget.take(head.join('\n'));
  const out = [...head];

  const byUrl = new Map(report.urls.map((url) => [url.url, url]));
  if (report.stale.length > 0)
    out.push(
      ...section(
        budget,
        `#### Stale (${report.stale.length})`,
        '| URL | diagnosis | reason |\n| :--- | :--- | :--- |',
        report.stale.map(
          (stale) =>
            `| ${code(stale.url)} | **${text(DIAGNOSIS_LABEL[stale.diagnosis])}**: ${text(DIAGNOSIS_MEANING[stale.diagnosis])} | ${text(stale.reason || (byUrl.get(stale.url)?.reason ?? ''))} |`,
        ),
        'stale URLs',
      ),
    );

  if (report.warnings.length > 0)
    out.push(
      ...section(
        budget,
        `#### Policy warnings (${report.warnings.length})`,
        '| URL | check | expected | seen | why it matters |\n| :--- | :--- | :--- | :--- | :--- |',
        report.warnings.map(warningRow),
        'warnings',
      ),
    );

  const executed = deploy?.plan === undefined ? [] : planRows(deploy.plan);
  if (executed.length > 0) {
    const opening = `<details><summary>The plan ${deploy?.dryRun ? 'planned' : 'executed'}: ${count(executed.length, 'purge request')}</summary>`;
    budget.take('\n</details>\n');
    out.push(
      ...section(
        budget,
        opening,
        '| provider | kind | reason | mode | targets |\n| :--- | :--- | :--- | :--- | :--- |',
        executed.map(
          (row) =>
            `| ${text(row.provider)} | ${row.kind} | ${row.reason} | ${text(row.mode)} | ${text(targetsCell(row.targets))} |`,
        ),
        'plan entries',
      ),
      '</details>',
      '',
    );
  }

  const renamed = deploy?.fixed.renamed ?? [];
  if (renamed.length > 0) {
    const opening = `<details><summary>Renamed to content-hash names: ${count(renamed.length, 'file')}</summary>`;
    budget.take('\n</details>\n');
    out.push(
      ...section(
        budget,
        opening,
        '| file | served as |\n| :--- | :--- |',
        renamed.map((rename) => `| ${code(rename.from)} | ${code(rename.to)} |`),
        'renames',
      ),
      '</details>',
      '',
    );
  }

  if (report.urls.length > 0) {
    const rows = staleFirst(report.urls).map(urlRow);
    const opening = `<details><summary>All ${report.urls.length} URLs</summary>`;
    budget.take('\n</details>\n');
    out.push(
      ...section(
        budget,
        opening,
        '| URL | result | diagnosis | time to fresh | attempts | cache |\n| :--- | :--- | :--- | ---: | ---: | :--- |',
        rows,
        'URLs',
      ),
      '</details>',
      '',
    );
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function warningRow(check: Check): string {
  return `| ${code(check.url)} | ${check.id} | ${code(check.expected)} | ${code(check.seen)} | ${text(check.message ?? '')} |`;
}

function urlRow(url: UrlReport): string {
  const result = url.fresh ? 'fresh' : '**STALE**';
  const time = url.timeToFreshMs === undefined ? '—' : formatDuration(url.timeToFreshMs);
  const status = cacheStatus(url.cache);
  return `| ${code(url.url)} | ${result} | ${text(DIAGNOSIS_LABEL[url.diagnosis])} | ${time} | ${url.attempts} | ${status === '' ? '' : code(status)} |`;
}

/** Tracks the bytes left; a section takes its rows while they fit and notes the rest. */
class Budget {
  private left: number;
  constructor(max: number) {
    this.left = max;
  }
  take(chunk: string): void {
    this.left -= Buffer.byteLength(chunk, 'utf8') + 1;
  }
  fits(chunk: string, reserve: number): boolean {
    return Buffer.byteLength(chunk, 'utf8') + 1 + reserve <= this.left;
  }
}

// Room kept for the truncation note and the blank lines around a section.
const NOTE_RESERVE = 256;

function section(
  budget: Budget,
  title: string,
  header: string,
  rows: readonly string[],
  noun: string,
): string[] {
  const out: string[] = [];
  const opening = `${title}\n\n${header}`;
  if (!budget.fits(opening, NOTE_RESERVE)) {
    const note = `_${rows.length} ${noun} not shown: the summary is limited to ${LIMIT_TEXT}; the JSON report (\`--json\`) has them all._`;
    budget.take(note);
    return [title, '', note, ''];
  }
  budget.take(opening);
  out.push(title, '', header);
  let shown = 0;
  for (const row of rows) {
    if (!budget.fits(row, NOTE_RESERVE)) break;
    budget.take(row);
    out.push(row);
    shown++;
  }
  out.push('');
  if (shown < rows.length) {
    const note = `_… and ${rows.length - shown} more ${noun} not shown: the summary is limited to ${LIMIT_TEXT}; the JSON report (\`--json\`) has them all._`;
    budget.take(note);
    out.push(note, '');
  }
  return out;
}

const LIMIT_TEXT = "GitHub's 1 MiB per step";

function clip(value: string): string {
  const flat = value.replace(/[\r\n\t]+/g, ' ');
  return flat.length > MAX_CELL ? `${flat.slice(0, MAX_CELL - 1)}…` : flat;
}

/**
 * Plain text safe in a table cell: the inline Markdown punctuation backslash-escaped (so `*`,
 * `_`, `[`, `~` stay literal and `|` does not end the cell) and `<`, `>`, `&` as entities, so
 * nothing becomes HTML. Line breaks become spaces: a row is one line.
 */
export function text(value: string): string {
  return clip(value)
    .replace(/[\\`*_[\]|~]/g, '\\$&')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * A code span that holds any text: fenced with more backticks than it contains, padded when it
 * starts or ends with one, and `|` escaped (GFM tables split on `|` even inside code spans).
 */
export function code(value: string): string {
  const flat = clip(value);
  if (flat === '') return '';
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flat.replace(/\|/g, '\\|')}${pad}${fence}`;
}
