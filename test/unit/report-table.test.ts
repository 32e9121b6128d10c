import { describe, expect, it } from 'vitest';
import { renderUrlTable, shorten } from '../../src/report/render-table.ts';
import { freshUrl, staleUrl, verifyReport } from '../support/report-fixtures.ts';

describe('renderUrlTable', () => {
  const report = verifyReport([
    freshUrl('https://www.example.com/', 420, { cache: { 'cf-cache-status': 'MISS', age: '0' } }),
    staleUrl('https://www.example.com/assets/app.js', 'edge-stale', 'old ETag still served'),
    freshUrl('https://www.example.com/about/', 3200, { cache: {} }),
  ]);

  it('lists stale URLs first, with diagnosis, reason, time to fresh and cache status', () => {
    const lines = renderUrlTable(report).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RESULT\s+URL\s+DIAGNOSIS\s+FRESH AFTER\s+CACHE$/);
    expect(lines[1]).toMatch(
      /^STALE\s+https:\/\/www\.example\.com\/assets\/app\.js\s+edge stale\s+—\s+HIT, age 86400$/,
    );
    expect(lines[2]).toBe('        ↳ old ETag still served');
    expect(lines[3]).toMatch(
      /^fresh\s+https:\/\/www\.example\.com\/\s+fresh\s+420 ms\s+MISS, age 0$/,
    );
    expect(lines[4]).toMatch(/^fresh\s+https:\/\/www\.example\.com\/about\/\s+fresh\s+3\.2 s$/);
    expect(lines).toHaveLength(5);
  });

  it('shortens long URLs in the middle to fit the width', () => {
    const long = `https://www.example.com/${'very-long-directory/'.repeat(10)}file.js`;
    const out = renderUrlTable(verifyReport([freshUrl(long, 10)]), { width: 100 });
    const row = out.split('\n')[1] ?? '';
    expect([...row].length).toBeLessThanOrEqual(100);
    expect(row).toContain('https://www.example.com/');
    expect(row).toContain('…');
    expect(row).toMatch(/file\.js\s/);
  });

  it('caps fresh rows, never stale ones, and says how many were left out', () => {
    const urls = [
      ...Array.from({ length: 30 }, (_, i) => freshUrl(`https://a.test/${i}`, i)),
      ...Array.from({ length: 12 }, (_, i) => staleUrl(`https://a.test/s${i}`, 'unknown', 'stale')),
    ];
    const out = renderUrlTable(verifyReport(urls), { maxRows: 10 });
    expect(out.match(/^STALE /gm)).toHaveLength(12);
    expect(out.match(/^fresh /gm)).toBeNull();
    expect(out).toContain('… and 30 more fresh URLs');
    const some = renderUrlTable(verifyReport(urls), { maxRows: 20 });
    expect(some.match(/^fresh /gm)).toHaveLength(8);
    expect(some).toContain('… and 22 more fresh URLs');
  });

  it('colours only when asked, and never passes control characters through', () => {
    const evil = verifyReport([
      staleUrl('https://a.test/\x1b[2J\x07x', 'edge-stale', 'bad\x1b]0;title\x07'),
    ]);
    const plain = renderUrlTable(evil);
    expect(plain).not.toContain('\x1b');
    expect(plain).not.toContain('\x07');
    expect(plain).toContain('https://a.test/?[2J?x');
    const coloured = renderUrlTable(report, { color: true });
    expect(coloured).toContain('\x1b[31mSTALE');
    expect(coloured).toContain('\x1b[32mfresh');
  });
});

describe('shorten', () => {
  it.each([
    ['short', 10, 'short'],
    ['abcdefghijklmnopqrstuvwxyz', 10, 'abcde…wxyz'],
    ['abcdef', 1, '…'],
  ])('%s to %i → %s', (value, width, expected) => {
    expect(shorten(value, width)).toBe(expected);
  });
});
