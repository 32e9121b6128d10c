/**
 * The report page's inline CSS and script. Both are allowed by hash in the page's
 * Content-Security-Policy (render-html.ts), so any change here is picked up automatically; they
 * must not contain `</style>` / `</script>` or reference anything outside the page.
 */

// The filter: text match over a row's cells, and "stale only". Allowed by its hash in the CSP.
export const PAGE_SCRIPT = `
(() => {
  const q = document.getElementById('q');
  const only = document.getElementById('only-stale');
  const shown = document.getElementById('shown');
  const rows = Array.from(document.querySelectorAll('#urls tbody tr'));
  const apply = () => {
    const text = q.value.trim().toLowerCase();
    let n = 0;
    for (const row of rows) {
      const show = (!only.checked || row.classList.contains('stale')) &&
        (text === '' || row.textContent.toLowerCase().includes(text));
      row.hidden = !show;
      if (show) n++;
    }
    shown.textContent = String(n);
  };
  q.addEventListener('input', apply);
  only.addEventListener('change', apply);
})();
`;

export const PAGE_STYLE = `
:root {
  --bg: #ffffff; --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --panel: #f6f8fa;
  --good: #1a7f37; --good-bg: #dafbe1; --bad: #cf222e; --bad-bg: #ffebe9;
  --warn: #9a6700; --warn-bg: #fff8c5; --accent: #0969da; --dry: #8250df;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #8d96a0; --line: #30363d; --panel: #161b22;
    --good: #3fb950; --good-bg: #12261e; --bad: #f85149; --bad-bg: #25171c;
    --warn: #d29922; --warn-bg: #272115; --accent: #4493f8; --dry: #a371f7;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 40px; }
h1 { font-size: 22px; margin: 0 0 2px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 0 4px; overflow-wrap: anywhere; }
.count { display: inline-block; min-width: 22px; padding: 0 7px; border-radius: 10px; background: var(--panel); border: 1px solid var(--line); color: var(--muted); font-size: 12px; text-align: center; vertical-align: 2px; }
.verdict { display: flex; gap: 16px; align-items: center; padding: 16px 20px; border-radius: 10px; border: 1px solid var(--line); }
.verdict.ok { background: var(--good-bg); border-color: var(--good); }
.verdict.fail { background: var(--bad-bg); border-color: var(--bad); }
.verdict.dry { border-color: var(--dry); }
.badge { width: 44px; height: 44px; border-radius: 50%; display: grid; place-items: center; font-size: 24px; font-weight: 700; color: #fff; flex: none; }
.ok .badge { background: var(--good); } .fail .badge { background: var(--bad); } .dry .badge { background: var(--dry); }
.meta, .hint { color: var(--muted); margin: 0; font-size: 12.5px; }
.cards { display: grid; grid-template-columns: repeat(6, 1fr); gap: 12px; margin: 16px 0 8px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; background: var(--panel); }
.card .value { font-size: 24px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card.good .value { color: var(--good); } .card.bad .value { color: var(--bad); } .card.warn .value { color: var(--warn); }
.release { color: var(--muted); margin: 10px 0 0; }
.failures { color: var(--bad); }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th { text-align: left; font-weight: 600; color: var(--muted); border-bottom: 2px solid var(--line); padding: 6px 8px; position: sticky; top: 0; background: var(--bg); }
td { border-bottom: 1px solid var(--line); padding: 6px 8px; vertical-align: top; }
.nowrap { white-space: nowrap; }
.cc { min-width: 190px; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.url { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; overflow-wrap: anywhere; min-width: 240px; max-width: 460px; }
#urls td:last-child { max-width: 420px; }
details summary { cursor: pointer; color: var(--accent); font-family: system-ui, sans-serif; }
.reason { color: var(--bad); font-family: system-ui, sans-serif; margin-top: 2px; }
tr.stale { background: var(--bad-bg); }
.pill { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; white-space: nowrap; }
.pill.good { color: var(--good); } .pill.bad { color: var(--bad); } .pill.warn { color: var(--warn); }
.checks { list-style: none; margin: 0; padding: 0; }
.checks li + li { margin-top: 3px; }
.filters { display: flex; gap: 16px; align-items: center; margin-bottom: 8px; }
.filters input[type=search] { flex: 0 1 360px; padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); font: inherit; }
svg.chart { width: 100%; height: auto; display: block; border: 1px solid var(--line); border-radius: 8px; background: var(--panel); }
svg.chart text { fill: var(--muted); font-size: 11px; }
svg.chart .title { fill: var(--fg); font-size: 12px; font-weight: 600; }
svg.chart .grid { stroke: var(--line); stroke-width: 1; }
svg.chart .axis { stroke: var(--muted); stroke-width: 1; }
svg.chart .mark { fill: var(--accent); }
svg.chart .mark-stale { fill: var(--bad); }
svg.chart .pct { stroke: var(--warn); stroke-width: 1.5; stroke-dasharray: 5 4; }
svg.chart .pct-label { fill: var(--warn); font-weight: 600; }
svg.chart .stale-label { fill: var(--bad); font-weight: 600; }
footer { margin-top: 28px; color: var(--muted); font-size: 12px; }
@media (max-width: 860px) { .cards { grid-template-columns: repeat(3, 1fr); } }
`;
