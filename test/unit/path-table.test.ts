import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparePaths, parseManifest } from '../../src/manifest/manifest.ts';
import { mergedPaths } from '../../src/manifest/merged-paths.ts';
import { PathTableBuilder } from '../../src/manifest/path-table.ts';
import { parsePackedManifest } from '../../src/manifest/read-manifest-stream.ts';
import { folderCounts } from '../../src/plan/folder-counts.ts';

function tableOf(paths: readonly string[]) {
  const builder = new PathTableBuilder(64);
  for (const path of paths) builder.add(path);
  return builder.finish();
}

const sign = (n: number) => Math.sign(n);

// Characters that sort differently in UTF-16 code units and UTF-8 bytes: U+E000–U+FFFF against
// a character above U+FFFF, plus ASCII, a 2-byte and a 3-byte character below the surrogates.
const TRICKY = ['a', 'b', '/', 'é', '中', '\uE000', '\uFFFD', '\uFFFF', '😀', '𝄞', '\u{10FFFF}'];
const trickyPath = fc
  .array(fc.constantFrom(...TRICKY), { minLength: 0, maxLength: 6 })
  .map((chars) => chars.join(''));

describe('PathTable', () => {
  it('gives back every path it was given, ASCII or not, across buffer growth', () => {
    const paths = Array.from({ length: 5000 }, (_, i) =>
      i % 7 === 0 ? `dir/é${i}/😀.html` : `d${i % 10}/f${i}.txt`,
    );
    const table = tableOf(paths);
    expect(table.length).toBe(paths.length);
    expect([...table]).toEqual(paths);
    expect(table.at(7)).toBe(paths[7]);
    expect(Buffer.from(table.bytesAt(7)).toString('utf8')).toBe(paths[7]);
    const ascii = tableOf(['a.txt', 'b/c.txt']);
    expect([...ascii]).toEqual(['a.txt', 'b/c.txt']);
  });

  it('compares as comparePaths (code units), also where UTF-8 byte order differs', () => {
    // The pair byte order gets wrong: U+FFFD is 3 bytes (EF BF BD), 😀 is 4 (F0 …).
    const table = tableOf(['\uFFFD', '😀']);
    expect(comparePaths('\uFFFD', '😀')).toBe(1);
    expect(table.compare(0, table, 1)).toBe(1);
    expect(table.compare(1, table, 0)).toBe(-1);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(trickyPath, fc.string({ unit: 'grapheme' })), {
          minLength: 2,
          maxLength: 30,
        }),
        (paths) => {
          const table = tableOf(paths);
          for (let i = 0; i < paths.length; i++) {
            for (let j = 0; j < paths.length; j++) {
              expect(sign(table.compare(i, table, j))).toBe(
                sign(comparePaths(paths[i] as string, paths[j] as string)),
              );
            }
          }
        },
      ),
    );
  });

  it('finds a path by binary search, and not one it does not hold', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(trickyPath, { minLength: 1, maxLength: 40 }),
        trickyPath,
        (raw, other) => {
          const paths = [...raw].sort(comparePaths);
          const table = tableOf(paths);
          paths.forEach((path, i) => {
            expect(table.find(path)).toBe(i);
          });
          expect(table.find(other)).toBe(paths.indexOf(other));
        },
      ),
    );
  });

  it('reorders, and merges two sorted tables into each path once, in order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(trickyPath, { maxLength: 30 }),
        fc.uniqueArray(trickyPath, { maxLength: 30 }),
        (a, b) => {
          const left = [...a].sort(comparePaths);
          const right = [...b].sort(comparePaths);
          const merged = mergedPaths(tableOf(left), tableOf(right));
          const expected = [...new Set([...left, ...right])].sort(comparePaths);
          expect(merged.length).toBe(expected.length);
          expect([...merged]).toEqual(expected);
          const unsorted = tableOf(a);
          const order = Uint32Array.from(a.keys()).sort((x, y) => unsorted.compare(x, unsorted, y));
          expect([...unsorted.reordered(order)]).toEqual(left);
        },
      ),
    );
  });

  it('counts files and changed files per folder in bytes as the string loop does', () => {
    const segment = fc.constantFrom('a', 'b', 'é', '😀', '\uFFFD', 'x.txt', 'a.b');
    const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
    fc.assert(
      fc.property(
        fc.uniqueArray(path, { maxLength: 40 }),
        fc.uniqueArray(path, { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (a, b, picks) => {
          const left = [...a].sort(comparePaths);
          const right = [...b].sort(comparePaths);
          const merged = mergedPaths(tableOf(left), tableOf(right));
          const all = [...merged];
          const changed = new Set(picks.map((n) => all[n % Math.max(1, all.length)] ?? 'none'));
          const bytes = folderCounts(merged, changed);
          const strings = folderCounts(all, changed);
          expect(Object.fromEntries(bytes)).toEqual(Object.fromEntries(strings));
          expect([...bytes.keys()].sort()).toEqual([...strings.keys()].sort());
        },
      ),
    );
  });

  it('tells which paths JSON.stringify would leave as they are', () => {
    const paths = ['plain/é😀.txt', 'quote".txt', 'back\\slash', 'tab\t', 'del\u007f'];
    const table = tableOf(paths);
    paths.forEach((path, i) => {
      expect(table.isPlain(i)).toBe(JSON.stringify(path) === `"${path}"`);
    });
  });

  it('refuses a lone surrogate, which UTF-8 cannot hold', () => {
    expect(() => new PathTableBuilder().add('a\uD800b')).toThrow(/not UTF-16 text/);
  });

  it('a manifest naming a path with a lone surrogate is refused by both readers', () => {
    const text = JSON.stringify({
      createdAt: '2026-01-01T00:00:00.000Z',
      files: {
        'a\uD800.txt': { mtimeMs: 1, sha256: '0'.repeat(64), size: 1, type: 'text/plain' },
      },
      generator: 'edgepurge',
      version: 2,
    });
    expect(() => parseManifest(text, 'm.json')).toThrow(/not a relative path/);
    expect(() => parsePackedManifest(text, 'm.json')).toThrow(/not a relative path/);
  });
});
