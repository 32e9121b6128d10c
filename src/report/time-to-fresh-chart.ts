import type { VerifyReport } from '../verify/report-types.ts';
import { escapeHtml } from './escape-html.ts';
import { formatDuration, percentile } from './summarize-report.ts';

const WIDTH = 960;
const HEIGHT = 300;
const LEFT = 70;
const RIGHT = 20;
const TOP = 30;
const BOTTOM = 46;

/** A round step for about `count` ticks up to `max`: 1, 2 or 5 times a power of ten. */
function niceStep(max: number, count: number): number {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

/** Axis label: milliseconds below a second's step, seconds above. */
function tickLabel(ms: number, step: number): string {
  if (ms === 0) return '0';
  if (step < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

const r = (n: number): string => String(Math.round(n * 10) / 10);

/**
 * Time to fresh as inline SVG: one bar (`class="mark"`) per URL that became fresh, sorted from
 * fastest to slowest, height in ms or s on a labelled axis, with median and p95 lines; URLs that
 * never became fresh follow as red bars (`class="mark-stale"`) that run off the top of the scale.
 * Each bar carries a `<title>` (URL and time) as its tooltip. No external anything. Pure.
 */
export function renderTimeToFreshSvg(report: VerifyReport): string {
  const timed = report.urls
    .filter((url) => url.timeToFreshMs !== undefined)
    .map((url) => ({ url: url.url, ms: url.timeToFreshMs ?? 0 }))
    .sort((a, b) => a.ms - b.ms);
  const stale = report.urls.filter((url) => !url.fresh);
  const total = timed.length + stale.length;
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const out: string[] = [
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="Time to fresh per URL">`,
  ];
  if (total === 0) {
    out.push(
      `<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle">No URL has a time to fresh yet.</text></svg>`,
    );
    return out.join('\n');
  }

  // The scale follows the slowest URL that became fresh; stale bars run off the top instead of
  // squashing everything else (a 60 s timeout next to 300 ms bars would leave nothing to see).
  const longest = Math.max(1, timed.at(-1)?.ms ?? report.durationMs);
  const step = niceStep(longest, 5);
  const top = Math.ceil(longest / step) * step;
  const y = (ms: number): number => TOP + plotH - (Math.min(ms, top) / top) * plotH;

  // Grid and y axis, labelled in ms or s.
  for (let tick = 0; tick <= top + step / 2; tick += step) {
    out.push(
      `<line class="grid" x1="${LEFT}" x2="${LEFT + plotW}" y1="${r(y(tick))}" y2="${r(y(tick))}"/>`,
      `<text x="${LEFT - 8}" y="${r(y(tick) + 4)}" text-anchor="end">${escapeHtml(tickLabel(tick, step))}</text>`,
    );
  }
  out.push(
    `<line class="axis" x1="${LEFT}" x2="${LEFT}" y1="${TOP}" y2="${TOP + plotH}"/>`,
    `<line class="axis" x1="${LEFT}" x2="${LEFT + plotW}" y1="${TOP + plotH}" y2="${TOP + plotH}"/>`,
    `<text class="title" transform="translate(16 ${TOP + plotH / 2}) rotate(-90)" text-anchor="middle">time to fresh (${step < 1000 ? 'ms' : 's'})</text>`,
  );
  const xTitle =
    stale.length > 0
      ? `${timed.length} URLs by time to fresh, then ${stale.length} never fresh (red)`
      : `${timed.length} URLs, sorted by time to fresh`;
  out.push(
    `<text class="title" x="${LEFT + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">${escapeHtml(xTitle)}</text>`,
  );

  // One bar per URL; a 1-unit gap while bars are wide enough to show it.
  const slot = plotW / total;
  const gap = slot > 4 ? Math.min(2, slot * 0.15) : 0;
  const bar = (i: number, ms: number, cls: string, title: string): string => {
    const top_ = y(ms);
    const height = Math.max(1, TOP + plotH - top_);
    return `<rect class="${cls}" x="${r(LEFT + i * slot + gap / 2)}" y="${r(TOP + plotH - height)}" width="${r(Math.max(0.4, slot - gap))}" height="${r(height)}"><title>${escapeHtml(title)}</title></rect>`;
  };
  timed.forEach((item, i) => {
    out.push(bar(i, item.ms, 'mark', `${item.url} — fresh after ${formatDuration(item.ms)}`));
  });
  stale.forEach((url, i) => {
    out.push(
      bar(
        timed.length + i,
        top,
        'mark-stale',
        `${url.url} — still stale after ${formatDuration(report.durationMs)}`,
      ),
    );
  });
  if (stale.length > 0)
    out.push(
      `<text class="stale-label" x="${LEFT + plotW}" y="${TOP - 10}" text-anchor="end">${escapeHtml(`▲ ${stale.length} never fresh, still stale after ${formatDuration(report.durationMs)}`)}</text>`,
    );

  // Median and p95 of the URLs that became fresh.
  const sorted = timed.map((item) => item.ms);
  const lines: [string, number | undefined][] = [
    ['median', percentile(sorted, 50)],
    ['p95', percentile(sorted, 95)],
  ];
  // Labels sit above their line at the left, where the sorted bars are lowest.
  let lastLabelY = Number.POSITIVE_INFINITY;
  for (const [name, ms] of lines) {
    if (ms === undefined) continue;
    const ly = y(ms);
    const labelY = Math.max(TOP + 10, Math.min(ly - 5, lastLabelY - 14));
    lastLabelY = labelY;
    out.push(
      `<line class="pct" x1="${LEFT}" x2="${LEFT + plotW}" y1="${r(ly)}" y2="${r(ly)}"/>`,
      `<text class="pct-label" x="${LEFT + 8}" y="${r(labelY)}">${escapeHtml(`${name} ${formatDuration(ms)}`)}</text>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}
