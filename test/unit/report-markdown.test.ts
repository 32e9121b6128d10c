import { describe, expect, it } from 'vitest';
import { code, renderMarkdown, text } from '../../src/report/render-markdown.ts';
import {
  deployContext,
  freshUrl,
  policyWarnedUrl,
  staleUrl,
  verifyReport,
} from '../support/report-fixtures.ts';

/** The cells of a GFM table row: split on pipes that are not backslash-escaped. */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

function rowsOf(markdown: string, header: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.startsWith(header));
  expect(start, `table "${header}"`).toBeGreaterThanOrEqual(0);
  const rows: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line);
  }
  return rows;
}

const STALE_REASON = 'the edge still answers 304 to the old ETag';

function mixedReport() {
  return verifyReport([
    freshUrl('https://www.example.com/', 420),
    staleUrl('https://www.example.com/assets/app.js', 'edge-stale', STALE_REASON),
    staleUrl('https://www.example.com/about/', 'origin-stale', 'the origin serves old bytes'),
    policyWarnedUrl('https://www.example.com/logo.png', 900, 'the next deploy will be stale again'),
  ]);
}

describe('renderMarkdown', () => {
  it("shows the verifier's notes (no validators recorded yet) as notes, not failures", () => {
    const markdown = renderMarkdown(
      verifyReport([freshUrl('https://x.test/a.js', 100)], {
        notes: ['no validators recorded with the baseline (a first deploy…)'],
      }),
    );
    expect(markdown).toContain(
      '> **Note:** no validators recorded with the baseline (a first deploy…)',
    );
    expect(markdown).toMatch(/^### ✅/);
    expect(renderMarkdown(verifyReport([freshUrl('https://x.test/a.js', 100)]))).not.toContain(
      'Note:',
    );
  });

  it('starts with a one-line verdict and a summary table', () => {
    const md = renderMarkdown(verifyReport([freshUrl('https://a.test/', 10)]), deployContext());
    const [verdict] = md.split('\n');
    expect(verdict).toBe(
      '### ✅ edgepurge: Verified: the URL serves the new release; baseline saved',
    );
    const [row] = rowsOf(md, '| checked |');
    expect(cells(row ?? '')).toEqual(['1', '1', '0', '0', '3', 'yes']);
  });

  it('says what failed, and that the baseline was not saved', () => {
    const md = renderMarkdown(
      mixedReport(),
      deployContext({ baseline: { saved: false, path: 'b.json' } }),
    );
    expect(md.split('\n')[0]).toBe(
      '### ❌ edgepurge: Not verified: 2 of 4 URLs still stale (1 edge stale, 1 origin stale); baseline not saved',
    );
    expect(cells(rowsOf(md, '| checked |')[0] ?? '')).toEqual(['4', '2', '2', '1', '3', '**no**']);
  });

  it('lists stale URLs with their diagnosis and reason', () => {
    const rows = rowsOf(renderMarkdown(mixedReport()), '| URL | diagnosis | reason |');
    expect(rows).toHaveLength(2);
    const [url, diagnosis, reason] = cells(rows[0] ?? '');
    expect(url).toBe('`https://www.example.com/assets/app.js`');
    expect(diagnosis).toContain('**edge stale**');
    expect(diagnosis).toContain('the purge did not take');
    expect(reason).toBe(STALE_REASON);
    expect(cells(rows[1] ?? '')[1]).toContain('the upload did not reach the origin');
  });

  it('lists policy warnings with expected and seen', () => {
    const rows = rowsOf(renderMarkdown(mixedReport()), '| URL | check | expected |');
    expect(rows).toHaveLength(1);
    const [url, id, , seen, why] = cells(rows[0] ?? '');
    expect(url).toBe('`https://www.example.com/logo.png`');
    expect(id).toBe('cache-policy');
    expect(seen).toBe('`public, max-age=31536000`');
    expect(why).toBe('the next deploy will be stale again');
  });

  it('puts every URL, stale first, in a collapsed <details>', () => {
    const md = renderMarkdown(mixedReport());
    expect(md).toContain('<details><summary>All 4 URLs</summary>');
    expect(md.trimEnd().endsWith('</details>')).toBe(true);
    const rows = rowsOf(md, '| URL | result |');
    expect(rows.map((row) => cells(row)[1])).toEqual(['**STALE**', '**STALE**', 'fresh', 'fresh']);
  });

  it('escapes pipes, Markdown and HTML in URLs and messages, so every row keeps its columns', () => {
    const nasty = 'https://www.example.com/a|b/`tick`/<b>x</b>';
    const report = verifyReport([
      staleUrl(
        nasty,
        'edge-stale',
        'seen | *not* [fresh](http://evil.test) <img src=x onerror=alert(1)>',
      ),
    ]);
    const md = renderMarkdown(report);
    const [row] = rowsOf(md, '| URL | diagnosis | reason |');
    const [url, , reason] = cells(row ?? '');
    expect(cells(row ?? '')).toHaveLength(3);
    expect(url).toBe('``https://www.example.com/a\\|b/`tick`/<b>x</b>``');
    expect(reason).toBe(
      'seen \\| \\*not\\* \\[fresh\\](http://evil.test) &lt;img src=x onerror=alert(1)&gt;',
    );
    expect(md).not.toContain('<img');
    for (const line of rowsOf(md, '| URL | result |')) expect(cells(line)).toHaveLength(6);
  });

  it('escapes with the helpers as documented', () => {
    expect(text('a_b*c|d\\e~f`g')).toBe('a\\_b\\*c\\|d\\\\e\\~f\\`g');
    expect(text('line\nbreak')).toBe('line break');
    expect(code('plain')).toBe('`plain`');
    expect(code('`start')).toBe('`` `start ``');
    expect(code('')).toBe('');
  });

  it('truncates the lists with a note to stay within the byte budget', () => {
    const urls = Array.from({ length: 2000 }, (_, i) =>
      freshUrl(`https://www.example.com/assets/file-${i}.js`, i),
    );
    const md = renderMarkdown(verifyReport(urls), undefined, { maxBytes: 20_000 });
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(20_000);
    const shown = rowsOf(md, '| URL | result |').length;
    expect(shown).toBeGreaterThan(10);
    expect(shown).toBeLessThan(2000);
    expect(md).toContain(`_… and ${2000 - shown} more URLs not shown: the summary is limited to`);
    expect(md.trimEnd().endsWith('</details>')).toBe(true);
  });

  it('keeps a stale list of 20,000 URLs under the 1 MiB step-summary limit by default', () => {
    const urls = Array.from({ length: 20_000 }, (_, i) =>
      staleUrl(
        `https://www.example.com/docs/${'deep/'.repeat(8)}page-${i}.html`,
        'edge-stale',
        STALE_REASON,
      ),
    );
    const md = renderMarkdown(verifyReport(urls), deployContext());
    expect(Buffer.byteLength(md)).toBeLessThan(1024 * 1024);
    const shown = rowsOf(md, '| URL | diagnosis | reason |').length;
    expect(md).toContain(`_… and ${20_000 - shown} more stale URLs not shown`);
    expect(md).toContain('_20000 URLs not shown');
  });

  it('says a dry run verified nothing', () => {
    const md = renderMarkdown(verifyReport([]), deployContext({ dryRun: true }));
    expect(md.split('\n')[0]).toBe(
      '### 🧪 edgepurge: Dry run: nothing was written, purged or verified',
    );
  });

  it('says what fix "hash" renamed, in the release line and a collapsed table', () => {
    const md = renderMarkdown(
      verifyReport([freshUrl('https://a.test/', 10)]),
      deployContext({
        fixed: {
          touched: [],
          renamed: [{ from: 'assets/site.css', to: 'assets/site.0123abcd.css' }],
          rewritten: ['index.html', 'docs/index.html'],
        },
      }),
    );
    expect(md).toContain('0 files touched, 1 renamed to content-hash names, 2 rewritten;');
    expect(md).toContain('<details><summary>Renamed to content-hash names: 1 file</summary>');
    expect(md).toContain('| `assets/site.css` | `assets/site.0123abcd.css` |');
  });
});
