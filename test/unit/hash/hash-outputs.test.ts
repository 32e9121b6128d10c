import { describe, expect, it } from 'vitest';
import { hashedName, isHashedName, splitExtension } from '../../../src/fix/hash/hashed-name.ts';
import { mergeHashMap, parseHashHistory } from '../../../src/fix/hash/merge-hash-map.ts';
import {
  renderHeadersFile,
  renderNginxSnippet,
} from '../../../src/fix/hash/render-cache-policy.ts';

describe('hashed names', () => {
  it.each([
    ['assets/app.js', 'assets/app.3f2a9c1b.js'],
    ['app.js.map', 'app.3f2a9c1b.js.map'],
    ['jquery.min.js', 'jquery.min.3f2a9c1b.js'],
    ['LICENSE', 'LICENSE.3f2a9c1b'],
  ])('%s → %s', (path, hashed) => {
    expect(hashedName(path, '3f2a9c1b')).toBe(hashed);
  });

  it.each([
    ['app.3f2a9c1b.js', true],
    ['app.3f2a9c1b.js.map', true],
    ['a/b/logo.0123456789abcdef.png', true],
    ['app.js', false],
    ['deadbeef.png', false],
    ['app.3F2A9C1B.js', false],
    ['jquery.min.js', false],
    ['v.12345.js', false],
  ])('isHashedName(%s) is %s', (path, expected) => {
    expect(isHashedName(path)).toBe(expected);
  });

  it('splits the extension the hash goes before', () => {
    expect(splitExtension('a.b.css')).toEqual(['a.b', '.css']);
    expect(splitExtension('.nojekyll')).toEqual(['.nojekyll', '']);
  });
});

describe('mergeHashMap', () => {
  const r1 = { 'app.js': 'app.11111111.js', 'site.css': 'site.aaaaaaaa.css' };
  const r2 = { 'app.js': 'app.22222222.js', 'site.css': 'site.aaaaaaaa.css' };
  const r3 = { 'app.js': 'app.33333333.js', 'site.css': 'site.bbbbbbbb.css' };
  const r4 = { 'app.js': 'app.44444444.js', 'site.css': 'site.bbbbbbbb.css' };

  it('keeps the hashed files of the last `keep` releases, expires older ones', () => {
    let history = mergeHashMap(undefined, r1, 2).history;
    history = mergeHashMap(history, r2, 2).history;
    const third = mergeHashMap(history, r3, 2);
    expect(third.retained).toEqual(['app.11111111.js', 'app.22222222.js', 'site.aaaaaaaa.css']);
    expect(third.expired).toEqual([]);
    const fourth = mergeHashMap(third.history, r4, 2);
    expect(fourth.history.releases).toEqual([r4, r3, r2]);
    expect(fourth.retained).toEqual(['app.22222222.js', 'app.33333333.js', 'site.aaaaaaaa.css']);
    expect(fourth.expired).toEqual(['app.11111111.js']);
  });

  it('keep 0 keeps nothing old; a name still in use never expires', () => {
    const merged = mergeHashMap({ version: 1, releases: [r3] }, r4, 0);
    expect(merged.retained).toEqual([]);
    expect(merged.expired).toEqual(['app.33333333.js']);
  });

  it('reads only its own history documents', () => {
    expect(parseHashHistory({ version: 1, releases: [r1] })).toEqual({
      version: 1,
      releases: [r1],
    });
    expect(parseHashHistory({ 'app.js': 'app.1.js' })).toBeUndefined();
    expect(parseHashHistory({ version: 2, releases: [] })).toBeUndefined();
  });
});

describe('cache policy files', () => {
  it('_headers: hashed files immutable, pages (and folder URLs) no-cache, others untouched', () => {
    const { text, rules } = renderHeadersFile(
      ['docs/index.html', 'a.html', 'css/site.0123abcd.css', 'robots.txt'],
      '/blog/',
    );
    expect(text).toBe(
      [
        '# Written by `edgepurge hash`: hashed names are immutable, pages revalidate.',
        '/blog/a.html',
        '  Cache-Control: no-cache',
        '/blog/css/site.0123abcd.css',
        '  Cache-Control: public, max-age=31536000, immutable',
        '/blog/docs/',
        '  Cache-Control: no-cache',
        '/blog/docs/index.html',
        '  Cache-Control: no-cache',
        '',
      ].join('\n'),
    );
    expect(rules).toBe(4);
  });

  it('nginx: the same hashed-name rule as the code, at the configured length', () => {
    const snippet = renderNginxSnippet(10);
    expect(snippet).toContain('location ~ "\\.[0-9a-f]{10}\\.[A-Za-z0-9_-]+(\\.map)?$" {');
    expect(snippet).toContain(
      'add_header Cache-Control "public, max-age=31536000, immutable" always;',
    );
    expect(snippet).toContain('add_header Cache-Control "no-cache" always;');
    const pattern = new RegExp(
      /location ~ "(.*)" \{/.exec(snippet)?.[1]?.replaceAll('\\\\', '\\') ?? '',
    );
    expect(pattern.test('/a/app.0123456789.js')).toBe(true);
    expect(pattern.test('/a/app.js')).toBe(false);
  });
});
