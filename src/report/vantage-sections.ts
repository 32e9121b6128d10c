import type { VerifyReport } from '../verify/report-types.ts';
import type { VantageReport } from '../verify/vantage/vantage-report.ts';
import { describeProbe } from '../verify/vantage/vantage-report.ts';
import { escapeHtml } from './escape-html.ts';
import { formatDuration } from './summarize-report.ts';

/**
 * The parts of a report about where it was proven from: the shard it covers (or the shards it
 * was merged from) and the vantage locations. Each renderer (text, Markdown, HTML) calls the
 * function of its format; all are pure.
 */

type Scoped = Pick<VerifyReport, 'shard' | 'merged' | 'vantage'>;

/** `shard 2 of 4: 31 of 120 URLs`, `merged from 4 shards`, or undefined. */
export function scopeLine(report: Scoped): string | undefined {
  if (report.shard !== undefined) {
    const { index, count, total } = report.shard;
    return `shard ${index} of ${count} (release ${report.shard.release.slice(0, 12)}): this report covers its part of ${total} URLs`;
  }
  if (report.merged !== undefined)
    return `merged from ${report.merged.count} shard reports (release ${report.merged.release.slice(0, 12)})`;
  return undefined;
}

/** One line per location: `vantage Asia (Tokyo, JP): 3 of 4 fresh, 1 stale`. */
export function vantageTextLines(report: Scoped): string[] {
  const vantage = report.vantage;
  if (vantage === undefined) return [];
  if (vantage.urls.length === 0 && vantage.error === undefined)
    return ['vantage: no URL to measure from other locations'];
  const lines = [
    `vantage: ${vantage.urls.length} URLs (${vantage.changedHtml} changed HTML, ${vantage.sampled} sampled) from ${vantage.locations.length || 'no'} locations, ${vantage.tests} Globalping tests`,
  ];
  if (vantage.error !== undefined) lines.push(`  vantage FAILED: ${vantage.error.message}`);
  for (const location of vantage.locations) lines.push(`  ${locationSummary(location)}`);
  return lines;
}

function locationSummary(location: VantageReport['locations'][number]): string {
  const where = `${location.location} (${describeProbe(location.probe)})`;
  if (location.error !== undefined) return `${where}: FAILED, ${location.error}`;
  const parts = [`${location.fresh} of ${location.urls.length} fresh`];
  if (location.stale > 0) parts.push(`${location.stale} STALE`);
  if (location.failed > 0) parts.push(`${location.failed} not measured`);
  return `${where}: ${parts.join(', ')}`;
}

/** Markdown: the scope line and a table per location; `text`/`code` are the renderer's escapers. */
export function vantageMarkdown(
  report: Scoped,
  md: { text: (value: string) => string; code: (value: string) => string },
): string[] {
  const out: string[] = [];
  const scope = scopeLine(report);
  if (scope !== undefined) out.push(`_${md.text(scope)}_`, '');
  const vantage = report.vantage;
  if (vantage === undefined) return out;
  out.push(
    `#### From ${vantage.locations.length} locations ${vantage.ok ? '' : '(**stale**)'}`.trimEnd(),
    '',
    `${vantage.urls.length} URLs (${vantage.changedHtml} changed HTML, ${vantage.sampled} sampled), ${vantage.tests} Globalping tests, ${formatDuration(vantage.durationMs)}.`,
    '',
  );
  if (vantage.error !== undefined)
    out.push(`> **Vantage check failed:** ${md.text(vantage.error.message)}`, '');
  if (vantage.locations.length > 0) {
    out.push(
      '| location | probe | fresh | stale | not measured |',
      '| :--- | :--- | ---: | ---: | ---: |',
    );
    for (const location of vantage.locations)
      out.push(
        `| ${md.text(location.location)} | ${md.text(location.error ?? describeProbe(location.probe))} | ${location.fresh} | ${location.stale > 0 ? `**${location.stale}**` : '0'} | ${location.failed} |`,
      );
    out.push('');
  }
  return out;
}

const BAR_H = 22;
const LABEL_W = 260;
const CHART_W = 960;

/**
 * HTML: a chart with one bar per location (fresh, stale, not measured, in inline SVG) and a
 * table of every measured URL against every location.
 */
export function vantageHtml(report: Scoped): string {
  const out: string[] = [];
  const scope = scopeLine(report);
  if (scope !== undefined) out.push(`<p class="hint">${escapeHtml(scope)}</p>`);
  const vantage = report.vantage;
  if (vantage === undefined) return out.join('\n');
  out.push(
    `<section><h2>From ${vantage.locations.length} locations <span class="count">${vantage.urls.length} URLs</span></h2>`,
    `<p class="hint">${escapeHtml(`${vantage.changedHtml} changed HTML and ${vantage.sampled} sampled URLs, each fetched by one Globalping probe per location and compared with the release (body hash where the probe returned all of it, else status, validators and length); ${vantage.tests} tests, ${formatDuration(vantage.durationMs)}.`)}</p>`,
  );
  if (vantage.error !== undefined)
    out.push(
      `<p class="reason">${escapeHtml(`Vantage check failed: ${vantage.error.message}`)}</p>`,
    );
  if (vantage.locations.length > 0) out.push(locationChart(vantage), locationTable(vantage));
  out.push('</section>');
  return out.join('\n');
}

function locationChart(vantage: VantageReport): string {
  const height = vantage.locations.length * (BAR_H + 10) + 20;
  // Room on the right for each bar's counts.
  const plot = CHART_W - LABEL_W - 170;
  const out = [
    `<svg class="chart vantage" viewBox="0 0 ${CHART_W} ${height}" role="img" aria-label="Fresh and stale URLs per location">`,
  ];
  vantage.locations.forEach((location, i) => {
    const y = 10 + i * (BAR_H + 10);
    const total = Math.max(1, location.urls.length);
    const label = `${location.location} · ${describeProbe(location.probe)}`;
    out.push(
      `<text x="${LABEL_W - 8}" y="${y + BAR_H / 2 + 4}" text-anchor="end">${escapeHtml(label)}</text>`,
    );
    let x = LABEL_W;
    for (const [n, cls, extra, what] of [
      [location.fresh, 'mark', '', 'fresh'],
      [location.stale, 'mark-stale', '', 'stale'],
      [location.failed, 'mark-stale', ' fill-opacity="0.4"', 'not measured'],
    ] as const) {
      if (n === 0) continue;
      const w = (n / total) * plot;
      out.push(
        `<rect class="${cls}"${extra} x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}"><title>${escapeHtml(`${location.location}: ${n} ${what}`)}</title></rect>`,
      );
      x += w;
    }
    const counts = [
      `${location.fresh}/${location.urls.length} fresh`,
      ...(location.stale > 0 ? [`${location.stale} stale`] : []),
      ...(location.failed > 0 ? [`${location.failed} not measured`] : []),
    ].join(', ');
    out.push(
      `<text x="${LABEL_W + plot + 8}" y="${y + BAR_H / 2 + 4}">${escapeHtml(counts)}</text>`,
    );
    if (location.error !== undefined)
      out.push(
        `<text class="stale-label" x="${LABEL_W}" y="${y + BAR_H / 2 + 4}">${escapeHtml(location.error)}</text>`,
      );
  });
  out.push('</svg>');
  return out.join('\n');
}

function locationTable(vantage: VantageReport): string {
  const head = vantage.locations.map((l) => `<th>${escapeHtml(l.location)}</th>`).join('');
  const byLocation = vantage.locations.map(
    (location) => new Map(location.urls.map((url) => [url.url, url])),
  );
  const rows = vantage.urls.map((url) => {
    const cells = byLocation.map((results) => {
      const result = results.get(url);
      if (result === undefined) return '<td>—</td>';
      const pill = result.fresh
        ? `<span class="pill good">fresh</span>`
        : `<span class="pill bad">${result.failed ? 'not measured' : 'stale'}</span>`;
      const reason =
        result.reason === undefined ? '' : `<div class="hint">${escapeHtml(result.reason)}</div>`;
      return `<td title="${escapeHtml(`compared by ${result.method}`)}">${pill}${reason}</td>`;
    });
    return `<tr><td class="url">${escapeHtml(url)}</td>${cells.join('')}</tr>`;
  });
  return `<table class="list"><thead><tr><th>URL</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
