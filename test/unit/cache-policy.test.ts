import { describe, expect, it } from 'vitest';
import { isHashedName } from '../../src/fix/hash/hashed-name.ts';
import { planHash } from '../../src/fix/hash/plan-hash.ts';
import {
  isContentHashed,
  lintCachePolicy,
  type PolicyRule,
  parseCacheControl,
} from '../../src/verify/cache-policy.ts';

describe('parseCacheControl', () => {
  it.each([
    ['max-age=60', [{ name: 'max-age', value: '60' }]],
    ['Max-Age=60, PUBLIC', [{ name: 'max-age', value: '60' }, { name: 'public' }]],
    ['max-age="60"', [{ name: 'max-age', value: '60' }]],
    [
      'no-cache="Set-Cookie, X-Foo", max-age=0',
      [
        { name: 'no-cache', value: 'Set-Cookie, X-Foo' },
        { name: 'max-age', value: '0' },
      ],
    ],
    ['private="a\\"b"', [{ name: 'private', value: 'a"b' }]],
    [' , no-store ,, ', [{ name: 'no-store' }]],
    ['max-age = 5', [{ name: 'max-age', value: '5' }]],
    [
      'max-age=1, max-age=2',
      [
        { name: 'max-age', value: '1' },
        { name: 'max-age', value: '2' },
      ],
    ],
    ['', []],
  ])('%j', (field, directives) => {
    expect(parseCacheControl(field)).toEqual(directives);
  });
});

describe('isContentHashed', () => {
  it.each([
    ['assets/app.3f9a1c2b.js', true],
    ['assets/main-BXk3y9Q2.css', true],
    ['assets/index-Bq-_Yv3a.js', true],
    ['static/js/main.3f9a1c2b5d6e7f80.chunk.js', true],
    ['_next/static/chunks/framework-2c79e2a64abdb08b.js', true],
    ['out-5DHFTUWS.js', true],
    ['application-6a9f1e0bd2c4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e.css', true],
    ['HomePage-CJ8nsF_w.js', true],
    ['js/jquery-3.7.1.min.js', false],
    ['bootstrap.bundle.min.js', false],
    ['vendor-polyfills.js', false],
    ['html5shiv.min.js', false],
    ['MyComponent.js', false],
    ['fonts/roboto-v30-latin-700.woff2', false],
    ['fonts/SourceSansPro-SemiboldIt.woff2', false],
    ['img/photo-20240101.jpg', false],
    ['img/DSC01234.JPG', false],
    ['video-1080p60fps.mp4', false],
    ['android-chrome-512x512.png', false],
    ['deadbeef.bin', false],
    ['app.js', false],
  ])('%s → %s', (path, hashed) => {
    expect(isContentHashed(path)).toBe(hashed);
  });

  // One definition (issue 9): every name `edgepurge hash` writes is hashed for the lint too,
  // whatever hash.length, even a hash of digits only that the bundler heuristic would miss.
  it.each([
    'assets/app.12345678.js',
    'img/logo.0a1b2c.svg',
    'assets/app.3f2a9c1b.js.map',
    `fonts/inter.${'ab12'.repeat(16)}.woff2`,
  ])('%s: a name edgepurge hash writes', (path) => {
    expect(isHashedName(path)).toBe(true);
    expect(isContentHashed(path)).toBe(true);
  });
  it.each(['app.js', 'deadbeef.bin', 'js/jquery-3.7.1.min.js'])('%s: neither', (path) => {
    expect(isHashedName(path)).toBe(false);
    expect(isContentHashed(path)).toBe(false);
  });
  it('agrees with the names planHash gives', () => {
    const files = new Map<string, Uint8Array>([
      [
        'index.html',
        new TextEncoder().encode('<link rel=stylesheet href="a.css"><img src="1.png">'),
      ],
      ['a.css', new TextEncoder().encode('a{}')],
      ['1.png', new Uint8Array([1, 2, 3])],
    ]);
    const plan = planHash(files, { basePath: '/' }, { length: 6 });
    expect(plan.renames).toHaveLength(2);
    for (const { to } of plan.renames) expect(isContentHashed(to)).toBe(true);
  });
});

interface Case {
  readonly name: string;
  readonly path: string;
  readonly header: string | undefined;
  readonly rules?: readonly PolicyRule[];
  /** Severity and a fragment of the message of each finding, in order. */
  readonly want: readonly (readonly ['error' | 'warning', string])[];
}

const cases: readonly Case[] = [
  // HTML defaults
  { name: 'HTML no-cache', path: 'index.html', header: 'no-cache', want: [] },
  { name: 'HTML NO-CACHE any case', path: 'index.html', header: 'NO-CACHE', want: [] },
  {
    name: 'HTML max-age=0, must-revalidate',
    path: 'about/index.html',
    header: 'public, max-age=0, must-revalidate',
    want: [],
  },
  { name: 'HTML no-store', path: 'about/index.html', header: 'no-store', want: [] },
  {
    name: 'HTML max-age=0 without must-revalidate',
    path: 'about/index.html',
    header: 'max-age=0',
    want: [['error', 'Fix 3']],
  },
  {
    name: 'HTML long max-age',
    path: 'blog/post.html',
    header: 'public, max-age=3600',
    want: [['error', 'HTML must revalidate']],
  },
  {
    name: 'HTML qualified no-cache does not revalidate',
    path: 'index.html',
    header: 'no-cache="Set-Cookie", max-age=600',
    want: [['error', 'Fix 3']],
  },
  {
    name: 'HTML directory URL path',
    path: 'docs/',
    header: 'max-age=600',
    want: [['error', 'Fix 3']],
  },
  {
    name: 'HTML missing header',
    path: 'index.html',
    header: undefined,
    want: [['warning', 'heuristic caching']],
  },
  { name: 'HTML empty header', path: 'index.htm', header: '', want: [['warning', 'heuristic']] },
  // Assets
  { name: 'asset missing header', path: 'assets/app.js', header: undefined, want: [] },
  {
    name: 'hashed asset immutable',
    path: 'assets/app.3f9a1c2b.js',
    header: 'public, max-age=31536000, immutable',
    want: [],
  },
  {
    name: 'unhashed asset long max-age',
    path: 'assets/app.js',
    header: 'public, max-age=31536000',
    want: [['warning', 'the next deploy will be stale again until max-age runs out']],
  },
  {
    name: 'unhashed asset long s-maxage',
    path: 'js/jquery-3.7.1.min.js',
    header: 's-maxage=604800',
    want: [['warning', 'use content-hash file names, or a short max-age with revalidation']],
  },
  {
    name: 'unhashed asset immutable alone',
    path: 'style.css',
    header: 'immutable',
    want: [['warning', 'immutable on a file name without a content hash']],
  },
  { name: 'unhashed asset one day', path: 'style.css', header: 'max-age=86400', want: [] },
  {
    name: 'unhashed asset long max-age but no-cache',
    path: 'style.css',
    header: 'no-cache, max-age=31536000',
    want: [],
  },
  { name: 'unhashed asset short', path: 'style.css', header: 'max-age=300', want: [] },
  // Conflicts
  {
    name: 'no-cache with immutable',
    path: 'assets/app.3f9a1c2b.js',
    header: 'no-cache, immutable',
    want: [['warning', "'no-cache' with 'immutable'"]],
  },
  {
    name: 'no-store with immutable and max-age',
    path: 'index.html',
    header: 'no-store, max-age=600, immutable',
    want: [
      ['warning', "'no-store' with 'immutable'"],
      ['warning', "'no-store' with 'max-age=600'"],
    ],
  },
  {
    name: 'duplicate max-age with different values',
    path: 'style.css',
    header: 'max-age=60, max-age=31536000',
    want: [['warning', 'appears twice']],
  },
  {
    name: 'duplicate with equal values is fine',
    path: 'style.css',
    header: 'max-age=60, max-age="60"',
    want: [],
  },
  {
    name: 'public with private',
    path: 'style.css',
    header: 'public, private',
    want: [['warning', "'public' with 'private'"]],
  },
  {
    name: 'malformed max-age',
    path: 'style.css',
    header: 'max-age=1y',
    want: [['warning', 'not a number of seconds']],
  },
  // Rules
  {
    name: 'rule satisfied, extra directives allowed',
    path: 'assets/app.js',
    header: 'Public, Max-Age="600", stale-while-revalidate=30',
    rules: [{ match: 'assets/**', cacheControl: 'public, max-age=600' }],
    want: [],
  },
  {
    name: 'rule value differs',
    path: 'assets/app.js',
    header: 'public, max-age=31536000',
    rules: [{ match: 'assets/**', cacheControl: 'public, max-age=600' }],
    want: [['error', "policy 'assets/**' requires max-age=600"]],
  },
  {
    name: 'rule directive missing',
    path: 'assets/app.js',
    header: 'max-age=600',
    rules: [{ match: 'assets/**', cacheControl: 'public, max-age=600' }],
    want: [['error', 'requires public']],
  },
  {
    name: 'rule and no header',
    path: 'assets/app.js',
    header: undefined,
    rules: [{ match: 'assets/**', cacheControl: 'max-age=600' }],
    want: [['error', 'has no Cache-Control']],
  },
  {
    name: 'first matching rule wins',
    path: 'assets/app.js',
    header: 'max-age=60',
    rules: [
      { match: '**/*.js', cacheControl: 'max-age=60' },
      { match: 'assets/**', cacheControl: 'max-age=600' },
    ],
    want: [],
  },
  {
    name: 'a rule replaces the HTML default',
    path: 'index.html',
    header: 'max-age=60',
    rules: [{ match: '**/*.html', cacheControl: 'max-age=60' }],
    want: [],
  },
  {
    name: 'no rule matches: defaults apply',
    path: 'index.html',
    header: 'max-age=60',
    rules: [{ match: 'assets/**', cacheControl: 'max-age=600' }],
    want: [['error', 'Fix 3']],
  },
  {
    name: 'conflicts are flagged under a rule too',
    path: 'assets/app.js',
    header: 'max-age=600, no-cache, immutable',
    rules: [{ match: 'assets/**', cacheControl: 'max-age=600' }],
    want: [['warning', "'no-cache' with 'immutable'"]],
  },
];

describe('lintCachePolicy', () => {
  it.each(cases)('$name', ({ path, header, rules, want }) => {
    const findings = lintCachePolicy(path, header, rules ?? []);
    expect(findings.map((f) => f.severity)).toEqual(want.map(([severity]) => severity));
    want.forEach(([, fragment], i) => {
      expect(findings[i]?.message).toContain(fragment);
    });
  });

  it('shows what was expected and what was seen', () => {
    const [finding] = lintCachePolicy('index.html', 'public, max-age=3600', []);
    expect(finding).toMatchObject({
      severity: 'error',
      expected: 'no-cache (or max-age=0, must-revalidate)',
      seen: 'public, max-age=3600',
    });
    const [missing] = lintCachePolicy('index.html', undefined, []);
    expect(missing?.seen).toBe('(none)');
    const [rule] = lintCachePolicy('a.js', 'max-age=1', [
      { match: '*.js', cacheControl: 'max-age=2' },
    ]);
    expect(rule).toMatchObject({ expected: 'max-age=2', seen: 'max-age=1' });
  });
});
