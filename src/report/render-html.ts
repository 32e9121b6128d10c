import { createHash } from 'node:crypto';
import type { Check, UrlReport, VerifyReport } from '../verify/report-types.ts';
import { escapeHtml } from './escape-html.ts';
import { PAGE_SCRIPT, PAGE_STYLE } from './html-page-assets.ts';
import { invalidationLines } from './invalidation-lines.ts';
import { planRows, targetsCell } from './plan-rows.ts';
import {
  cacheHeaders,
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
import { renderTimeToFreshSvg } from './time-to-fresh-chart.ts';
import { vantageHtml } from './vantage-sections.ts';

export { escapeHtml };

/**
 * The report as one self-contained HTML page (`--report FILE.html`): verdict, summary, stale
 * list, a time-to-fresh chart in inline SVG, policy warnings and a filterable per-URL table.
 * Nothing is loaded from anywhere: the CSS and the small filter script are inline and allowed by
 * hash in a Content-Security-Policy that forbids everything else, so the page works offline and
 * text from URLs, headers or messages (all escaped) could not run even if it slipped through.
 * Light and dark follow `prefers-color-scheme`. Pure.
 */
export function renderHtml(report: VerifyReport, deploy?: DeployContext): string {
  const summary = summarizeReport(report, deploy);
  const state = deploy?.dryRun ? 'dry' : summary.ok ? 'ok' : 'fail';
  const csp = [
    "default-src 'none'",
    `style-src '${sha256(PAGE_STYLE)}'`,
    `script-src '${sha256(PAGE_SCRIPT)}'`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');

  const cards: [string, string, string][] = [
    ['checked', String(summary.checked), ''],
    ['fresh', String(summary.fresh), 'good'],
    ['stale', String(summary.stale), summary.stale > 0 ? 'bad' : ''],
    ['warnings', String(summary.warnings), summary.warnings > 0 ? 'warn' : ''],
    [
      'purge requests',
      summary.purgeRequests === undefined ? '—' : String(summary.purgeRequests),
      '',
    ],
    [
      'baseline saved',
      summary.baselineSaved === undefined ? '—' : summary.baselineSaved ? 'yes' : 'no',
      summary.baselineSaved === false ? 'bad' : '',
    ],
  ];

  const body: string[] = [];
  body.push(
    `<header class="verdict ${state}"><div class="badge" aria-hidden="true">${state === 'ok' ? '✓' : state === 'dry' ? '○' : '✗'}</div>`,
    `<div><h1>${escapeHtml(summary.verdict)}</h1>`,
    `<p class="meta">edgepurge verification · started ${escapeHtml(when(report.startedAt))} · took ${escapeHtml(formatDuration(report.durationMs))}</p></div></header>`,
    '<section class="cards">',
    ...cards.map(
      ([label, value, tone]) =>
        `<div class="card ${tone}"><div class="value">${escapeHtml(value)}</div><div class="label">${escapeHtml(label)}</div></div>`,
    ),
    '</section>',
  );
  if (deploy !== undefined) body.push(releaseHtml(deploy));
  for (const note of report.notes ?? [])
    body.push(`<p class="hint"><strong>Note:</strong> ${escapeHtml(note)}</p>`);

  if (report.stale.length > 0) {
    body.push(
      `<section><h2>Stale <span class="count">${report.stale.length}</span></h2><table class="list"><thead><tr><th>URL</th><th>Diagnosis</th><th>Reason</th></tr></thead><tbody>`,
    );
    for (const stale of report.stale)
      body.push(
        `<tr><td class="url">${escapeHtml(stale.url)}</td><td><span class="pill bad">${escapeHtml(DIAGNOSIS_LABEL[stale.diagnosis])}</span><div class="hint">${escapeHtml(DIAGNOSIS_MEANING[stale.diagnosis])}</div></td><td>${escapeHtml(stale.reason)}</td></tr>`,
      );
    body.push('</tbody></table></section>');
  }

  // Where the proof comes from: the shard, and the vantage locations with their chart.
  body.push(vantageHtml(report));
  body.push(
    '<section><h2>Time to fresh</h2>',
    '<p class="hint">Each bar is one URL: how long after verification started it was first seen serving the new release. Red bars never got there.</p>',
    renderTimeToFreshSvg(report),
    '</section>',
  );

  if (report.warnings.length > 0) {
    body.push(
      `<section><h2>Policy warnings <span class="count">${report.warnings.length}</span></h2><table class="list"><thead><tr><th>URLs</th><th>Expected</th><th>Seen</th><th>Why it matters</th></tr></thead><tbody>`,
    );
    for (const group of groupWarnings(report.warnings)) {
      const [first, ...more] = group.urls;
      const rest =
        more.length > 0
          ? `<details><summary>and ${more.length} more</summary>${more.map((url) => `<div>${escapeHtml(url)}</div>`).join('')}</details>`
          : '';
      body.push(
        `<tr><td class="url">${escapeHtml(first ?? '')}${rest}</td><td class="cc"><code>${escapeHtml(group.check.expected)}</code></td><td class="cc"><code>${escapeHtml(group.check.seen)}</code></td><td><span class="pill warn">${escapeHtml(group.check.id)}</span> ${escapeHtml(group.check.message ?? '')}</td></tr>`,
      );
    }
    body.push('</tbody></table></section>');
  }

  body.push(
    `<section><h2>URLs <span class="count">${report.urls.length}</span></h2>`,
    '<div class="filters"><input id="q" type="search" placeholder="Filter URLs, diagnoses, cache status…" aria-label="Filter"><label><input id="only-stale" type="checkbox"> stale only</label><span class="hint"><span id="shown">',
    `${report.urls.length}</span> shown</span></div>`,
    '<table id="urls"><thead><tr><th>Result</th><th>URL</th><th>Diagnosis</th><th class="num">Time to fresh</th><th class="num">Attempts</th><th>Cache</th><th>Checks</th></tr></thead><tbody>',
    ...staleFirst(report.urls).map(urlRow),
    '</tbody></table></section>',
    `<footer>Rendered from the verification report of ${escapeHtml(when(report.startedAt))}. This page loads nothing from the network.</footer>`,
  );

  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // Our own constant plus base64 hashes: nothing in it needs escaping inside double quotes.
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    `<title>edgepurge: ${escapeHtml(summary.verdict)}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head>',
    '<body>',
    '<main>',
    ...body,
    '</main>',
    `<script>${PAGE_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function releaseHtml(deploy: DeployContext): string {
  const d = deploy.diff;
  const parts = [
    `${d.added.length} added`,
    `${d.changed.length} changed`,
    `${d.removed.length} removed`,
    `${d.unchanged} unchanged`,
    count(d.hazards.length, 'validator hazard'),
    fixSummary(deploy.fixed),
    `purged ${count(deploy.purge.urls, 'URL')}, ${count(deploy.purge.prefixes, 'prefix', 'prefixes')}, ${count(deploy.purge.tags, 'tag')} in ${count(deploy.purge.requests, 'request')}`,
  ];
  const failures = deploy.purge.failed.map(
    (failure) =>
      `<li><b>${escapeHtml(failure.provider)}</b>: ${escapeHtml(failure.error)}${failure.hint ? ` <span class="hint">(${escapeHtml(failure.hint)})</span>` : ''}</li>`,
  );
  const invalidations = invalidationLines(deploy.purge).map(
    (line) => `<li>${escapeHtml(line)}</li>`,
  );
  const baseline = deploy.baseline.saved
    ? `baseline saved to <code>${escapeHtml(deploy.baseline.path)}</code>`
    : `baseline <b>not</b> saved (<code>${escapeHtml(deploy.baseline.path)}</code> unchanged)`;
  return `<p class="release">Release: ${escapeHtml(parts.join(' · '))} · ${baseline}</p>${failures.length > 0 ? `<ul class="failures">${failures.join('')}</ul>` : ''}${invalidations.length > 0 ? `<ul class="invalidations">${invalidations.join('')}</ul>` : ''}${planHtml(deploy)}${renamedHtml(deploy)}`;
}

/** `fix: "hash"`: each file renamed and the name it is served as now, collapsed. */
function renamedHtml(deploy: DeployContext): string {
  const renamed = deploy.fixed.renamed ?? [];
  if (renamed.length === 0) return '';
  const body = renamed
    .map(
      (rename) =>
        `<tr><td><code>${escapeHtml(rename.from)}</code></td><td><code>${escapeHtml(rename.to)}</code></td></tr>`,
    )
    .join('');
  return `<details class="plan"><summary>Renamed to content-hash names: ${escapeHtml(count(renamed.length, 'file'))}</summary><table class="list"><thead><tr><th>File</th><th>Served as</th></tr></thead><tbody>${body}</tbody></table></details>`;
}

/** The plan the deploy executed, every entry with its reason, collapsed. */
function planHtml(deploy: DeployContext): string {
  const rows = deploy.plan === undefined ? [] : planRows(deploy.plan);
  if (rows.length === 0) return '';
  const body = rows
    .map(
      (row) =>
        `<tr><td>${escapeHtml(row.provider)}</td><td>${escapeHtml(row.kind)}</td><td>${escapeHtml(row.reason)}</td><td>${escapeHtml(row.mode)}</td><td><code>${escapeHtml(targetsCell(row.targets))}</code></td></tr>`,
    )
    .join('');
  return `<details class="plan"><summary>The plan ${deploy.dryRun ? 'planned' : 'executed'}: ${escapeHtml(count(rows.length, 'purge request'))}</summary><table class="list"><thead><tr><th>Provider</th><th>Kind</th><th>Reason</th><th>Mode</th><th>Targets</th></tr></thead><tbody>${body}</tbody></table></details>`;
}

/** Warnings that say the same thing (check, expected, seen, message) share one row. */
function groupWarnings(warnings: readonly Check[]): { check: Check; urls: string[] }[] {
  const groups = new Map<string, { check: Check; urls: string[] }>();
  for (const check of warnings) {
    const key = JSON.stringify([check.id, check.expected, check.seen, check.message ?? '']);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { check, urls: [check.url] });
    else group.urls.push(check.url);
  }
  return [...groups.values()];
}

function urlRow(url: UrlReport): string {
  const failed = url.checks.filter((c) => !c.ok);
  const passed = url.checks.length - failed.length;
  const warned = failed.length > 0 && failed.every((c) => c.severity === 'warning');
  const rowClass = url.fresh ? (warned ? 'fresh warned' : 'fresh') : 'stale';
  const result = url.fresh
    ? `<span class="pill good">fresh</span>`
    : `<span class="pill bad">stale</span>`;
  const path =
    url.path !== '' && !url.url.endsWith(url.path)
      ? `<div class="hint">${escapeHtml(url.path)}</div>`
      : '';
  const final =
    url.finalUrl !== undefined && url.finalUrl !== url.url
      ? `<div class="hint">→ ${escapeHtml(url.finalUrl)}</div>`
      : '';
  const reason =
    !url.fresh && url.reason !== undefined
      ? `<div class="reason">${escapeHtml(url.reason)}</div>`
      : '';
  const checks = [
    ...failed.map((c) => checkItem(c, url.reason)),
    // What a browser holding an old validator was proven to get: the request sent, and 200.
    ...url.checks
      .filter((c) => c.ok && c.sent !== undefined)
      .map(
        (c) =>
          `<li class="hint">${escapeHtml(c.id)}: <code>${escapeHtml(c.sent ?? '')}</code> gets <code>${escapeHtml(c.seen)}</code></li>`,
      ),
    `<li class="hint">${passed} of ${url.checks.length} checks passed</li>`,
  ].join('');
  const status = cacheStatus(url.cache);
  return [
    `<tr class="${rowClass}">`,
    `<td>${result}</td>`,
    `<td class="url">${escapeHtml(url.url)}${path}${final}${reason}</td>`,
    `<td class="nowrap">${escapeHtml(DIAGNOSIS_LABEL[url.diagnosis])}</td>`,
    `<td class="num">${url.timeToFreshMs === undefined ? '—' : escapeHtml(formatDuration(url.timeToFreshMs))}</td>`,
    `<td class="num">${url.attempts}</td>`,
    `<td title="${escapeHtml(cacheHeaders(url.cache))}">${escapeHtml(status)}</td>`,
    `<td><ul class="checks">${checks}</ul></td>`,
    '</tr>',
  ].join('');
}

/** A failed check; its message is left out when the row already shows it as the reason. */
function checkItem(check: Check, reason: string | undefined): string {
  const tone = check.severity === 'error' ? 'bad' : 'warn';
  const message =
    check.message && check.message !== reason
      ? `<div class="hint">${escapeHtml(check.message)}</div>`
      : '';
  return `<li><span class="pill ${tone}">${escapeHtml(check.id)}</span> expected <code>${escapeHtml(check.expected)}</code>, seen <code>${escapeHtml(check.seen)}</code>${message}</li>`;
}

function when(iso: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(iso)
    ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`
    : iso;
}

function sha256(text: string): string {
  return `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;
}
