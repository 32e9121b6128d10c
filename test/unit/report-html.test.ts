import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { escapeHtml, renderHtml } from '../../src/report/render-html.ts';
import {
  deployContext,
  freshUrl,
  policyWarnedUrl,
  sampleReport,
  staleUrl,
  verifyReport,
} from '../support/report-fixtures.ts';

function count(haystack: string, needle: string | RegExp): number {
  return typeof needle === 'string'
    ? haystack.split(needle).length - 1
    : (haystack.match(new RegExp(needle, 'g')) ?? []).length;
}

function svgOf(html: string): string {
  const start = html.indexOf('<svg class="chart"');
  expect(start).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf('</svg>', start) + 6);
}

describe('renderHtml', () => {
  it('shows what a passed conditional check sent (the ETag browsers hold) and what it got', () => {
    const url = freshUrl('https://x.test/a.js', 100, {
      checks: [
        {
          id: 'conditional-etag',
          severity: 'error',
          ok: true,
          url: 'https://x.test/a.js',
          expected: '200, sha256 abc…',
          seen: '200, sha256 abc…',
          sent: 'If-None-Match: "5f-1a" (the ETag browsers hold: recorded …)',
        },
      ],
    });
    expect(renderHtml(verifyReport([url]))).toContain(
      'conditional-etag: <code>If-None-Match: &quot;5f-1a&quot; (the ETag browsers hold: recorded …)</code> gets <code>200, sha256 abc…</code>',
    );
  });

  it("shows the verifier's notes, escaped", () => {
    const html = renderHtml(
      verifyReport([freshUrl('https://x.test/a.js', 100)], { notes: ['no <validators> yet'] }),
    );
    expect(html).toContain('<strong>Note:</strong> no &lt;validators&gt; yet');
  });

  const report = sampleReport(60);
  const html = renderHtml(report, deployContext());

  it('is one self-contained page: nothing is loaded from anywhere', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(
      /\b(?:src|href|xlink:href|action|poster)\s*=\s*["']?\s*(?:https?:)?\/\//i,
    );
    expect(html).not.toMatch(/<(?:link|iframe|object|embed|img)\b/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(count(html, /<script\b/)).toBe(1);
    expect(html).not.toMatch(/<script[^>]+src=/i);
  });

  it('allows only its own inline style and script, by hash', () => {
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    const hash = (s: string) => `sha256-${createHash('sha256').update(s).digest('base64')}`;
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src '${hash(script)}'`);
    expect(csp).toContain(`style-src '${hash(style)}'`);
    expect(html).not.toMatch(/\sstyle="/);
  });

  it('draws one mark per URL with a time to fresh, and the stale ones apart', () => {
    const svg = svgOf(html);
    const timed = report.urls.filter((url) => url.timeToFreshMs !== undefined).length;
    expect(timed).toBeGreaterThan(40);
    expect(count(svg, 'class="mark"')).toBe(timed);
    expect(count(svg, 'class="mark-stale"')).toBe(report.stale.length);
    expect(svg).toMatch(/time to fresh \((?:ms|s)\)/);
    expect(svg).toMatch(/>\d+(?:\.\d)? s<\/text>|>\d+ ms<\/text>/);
    expect(svg).toContain('median ');
    expect(svg).toContain('p95 ');
  });

  it('labels the axis in ms when everything was fresh within a second', () => {
    const svg = svgOf(
      renderHtml(
        verifyReport([freshUrl('https://a.test/', 120), freshUrl('https://a.test/b', 480)]),
      ),
    );
    expect(svg).toContain('time to fresh (ms)');
    expect(svg).toContain('>500 ms</text>');
    expect(count(svg, 'class="mark"')).toBe(2);
  });

  it('says so when no URL has a time to fresh', () => {
    const svg = svgOf(renderHtml(verifyReport([])));
    expect(svg).toContain('No URL has a time to fresh yet.');
    expect(count(svg, 'class="mark"')).toBe(0);
  });

  it('shows the summary, the stale list and the policy warnings', () => {
    expect(html).toContain('Not verified: 3 of 60 URLs still stale (2 edge stale, 1 origin stale)');
    expect(html).toMatch(/<div class="value">60<\/div><div class="label">checked<\/div>/);
    expect(html).toContain('the purge did not take');
    expect(html).toContain('the upload did not reach the origin');
    expect(html).toContain('the next deploy will be stale again until max-age runs out');
    expect(html).toContain('baseline saved to <code>/site/.edgepurge/baseline.json</code>');
  });

  it('lists stale URLs first in the per-URL table', () => {
    const table = html.slice(html.indexOf('<table id="urls">'));
    const classes = [...table.matchAll(/<tr class="([^"]+)">/g)].map((m) => m[1]);
    expect(classes).toHaveLength(report.urls.length);
    expect(classes.slice(0, 3)).toEqual(['stale', 'stale', 'stale']);
    expect(classes.slice(3).every((c) => c?.startsWith('fresh'))).toBe(true);
  });

  it('keeps a URL, header or message containing <script> inert', () => {
    const evil = 'https://www.example.com/<script>alert(1)</script>.js';
    const page = renderHtml(
      verifyReport([
        staleUrl(evil, 'edge-stale', '"><img src=x onerror=alert(2)>', {
          cache: { 'x-cache': '"><script>alert(3)</script>' },
        }),
        policyWarnedUrl('https://www.example.com/a\'b".css', 10, '<svg onload=alert(4)>'),
      ]),
      deployContext({ baseline: { saved: false, path: '</code><script>alert(5)</script>' } }),
    );
    expect(count(page, /<script\b/i)).toBe(1);
    expect(page).not.toMatch(/<img\b/i);
    expect(page).not.toMatch(/<svg onload/i);
    expect(page).not.toContain('a\'b"');
    expect(page).toContain('https://www.example.com/&lt;script&gt;alert(1)&lt;/script&gt;.js');
    expect(page).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(page).toContain('title="x-cache: &quot;&gt;&lt;script&gt;alert(3)&lt;/script&gt;"');
  });

  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('follows the colour scheme of the reader', () => {
    expect(html).toContain('@media (prefers-color-scheme: dark)');
  });

  it('says what fix "hash" renamed, escaped', () => {
    const html = renderHtml(
      verifyReport([freshUrl('https://a.test/', 10)]),
      deployContext({
        fixed: {
          touched: [],
          renamed: [{ from: 'a<b>.css', to: 'a<b>.0123abcd.css' }],
          rewritten: ['index.html'],
        },
      }),
    );
    expect(html).toContain('1 renamed to content-hash names, 1 rewritten');
    expect(html).toContain(
      '<td><code>a&lt;b&gt;.css</code></td><td><code>a&lt;b&gt;.0123abcd.css</code></td>',
    );
  });
});
