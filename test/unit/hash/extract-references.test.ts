import { describe, expect, it } from 'vitest';
import { extractCssReferences } from '../../../src/fix/hash/extract-css-references.ts';
import { extractHtmlReferences } from '../../../src/fix/hash/extract-html-references.ts';
import { extractJsReferences } from '../../../src/fix/hash/extract-js-references.ts';
import { extractManifestReferences } from '../../../src/fix/hash/extract-json-references.ts';
import type { Reference } from '../../../src/fix/hash/reference.ts';
import { renameInReference, resolveReference } from '../../../src/fix/hash/resolve-reference.ts';

/** The text at each reference's range, which is what a rewrite replaces. */
function spans(text: string, refs: readonly Reference[]): string[] {
  return refs.map((ref) => text.slice(ref.start, ref.end));
}

describe('HTML references', () => {
  const cases: [string, string, string[]][] = [
    ['img src', '<img src="a.png">', ['a.png']],
    [
      'unquoted and single-quoted',
      "<img src=a.png><script src='b.js'></script>",
      ['a.png', 'b.js'],
    ],
    [
      'stylesheet, preload, modulepreload, icon, manifest',
      '<link rel=stylesheet href=a.css><link rel=preload href=f.woff2 as=font><link rel=modulepreload href=m.js><link rel="shortcut icon" href=i.png><link rel=manifest href=site.webmanifest>',
      ['a.css', 'f.woff2', 'm.js', 'i.png', 'site.webmanifest'],
    ],
    [
      'alternate and canonical links are pages, left alone',
      '<link rel=alternate href=feed.xml><link rel=canonical href=/x/>',
      [],
    ],
    ['<a> href', '<a href="docs/guide.pdf#page=2">x</a>', ['docs/guide.pdf#page=2']],
    [
      'srcset with descriptors',
      '<img srcset="a.png 1x, b.png 2x,c.png 3x">',
      ['a.png', 'b.png', 'c.png'],
    ],
    [
      'imagesrcset on a preload',
      '<link rel=preload as=image imagesrcset="s.jpg 480w, l.jpg 1080w">',
      ['s.jpg', 'l.jpg'],
    ],
    [
      'poster and object data',
      '<video poster="p.jpg"></video><object data="d.svg"></object>',
      ['p.jpg', 'd.svg'],
    ],
    [
      'svg use href and xlink:href',
      '<svg><use href="s.svg#a"/><use xlink:href="t.svg#b"/></svg>',
      ['s.svg#a', 't.svg#b'],
    ],
    [
      'og:image and twitter:image',
      '<meta property="og:image" content="/og.png"><meta name="twitter:image" content="tw.png"><meta name=description content="x.png">',
      ['/og.png', 'tw.png'],
    ],
    ['inline style url()', '<div style="background: url(\'bg.png\') no-repeat"></div>', ['bg.png']],
    [
      '<style> block',
      '<style>@import "a.css"; p { background: url(b.png) }</style>',
      ['a.css', 'b.png'],
    ],
    [
      'inline module script imports',
      '<script type="module">import x from "./x.js"; import("./y.js")</script>',
      ['./x.js', './y.js'],
    ],
    [
      'import map values, not keys',
      '<script type="importmap">{"imports": {"app/": "./js/app/", "lit": "/vendor/lit.js"}}</script>',
      ['./js/app/', '/vendor/lit.js'],
    ],
    [
      'import map keys that are URLs (a remapped module), not bare names or prefixes',
      '<script type="importmap">{"imports": {"./js/legacy.js": "./js/modern.js", "app/": "./js/app/"}}</script>',
      ['./js/legacy.js', './js/modern.js', './js/app/'],
    ],
    [
      'classic script: service worker registration',
      "<script>navigator.serviceWorker.register('/sw.js')</script>",
      ['/sw.js'],
    ],
    ['entities in a query stay as written', '<img src="a.png?x=1&amp;y=2">', ['a.png?x=1&amp;y=2']],
    [
      'a script with src: its body is not read',
      '<script src="a.js">import "./no.js"</script>',
      ['a.js'],
    ],
  ];
  it.each(cases)('%s', (_name, html, expected) => {
    expect(spans(html, extractHtmlReferences(html))).toEqual(expected);
  });

  it('carries the integrity attribute with the reference it checks', () => {
    const html = '<script src="a.js" integrity="sha384-abc" crossorigin></script>';
    const [ref] = extractHtmlReferences(html);
    expect(ref?.integrity?.value).toBe('sha384-abc');
    expect(html.slice(ref?.integrity?.start, ref?.integrity?.end)).toBe('sha384-abc');
  });

  // An import map's `integrity` keys are URLs (each a reference) and each carries its value
  // as the integrity recomputed for it: [reference as written, its integrity as written].
  const integrityCases: [string, string, [string, string | undefined][]][] = [
    [
      'a relative key and its value',
      '{"integrity": {"./js/a.js": "sha384-abc"}}',
      [['./js/a.js', 'sha384-abc']],
    ],
    [
      'root-absolute and absolute keys, space around the colon, two algorithms',
      '{"integrity": {"/js/a.js" : "sha256-x sha512-y", "https://www.example.com/b.js":"sha384-z"}}',
      [
        ['/js/a.js', 'sha256-x sha512-y'],
        ['https://www.example.com/b.js', 'sha384-z'],
      ],
    ],
    ['a bare key is ignored by the browser, left alone', '{"integrity": {"lit": "sha384-a"}}', []],
    [
      'a key whose value is not a string: the key only',
      '{"integrity": {"./a.js": 1, "./b.js": "sha384-b"}}',
      [
        ['./a.js', undefined],
        ['./b.js', 'sha384-b'],
      ],
    ],
    [
      'an "integrity" nested under imports is a specifier, not the integrity map',
      '{"imports": {"integrity": "./i.js"}}',
      [['./i.js', undefined]],
    ],
    [
      'with imports beside it',
      '{"imports": {"app": "./js/app.js"}, "integrity": {"./js/app.js": "sha384-q"}}',
      [
        ['./js/app.js', undefined],
        ['./js/app.js', 'sha384-q'],
      ],
    ],
    ['not JSON: nothing', '{"integrity": {"./a.js": "sha384-a",}}', []],
  ];
  it.each(integrityCases)('import map integrity: %s', (_name, map, expected) => {
    const html = `<p>x</p><script type="importmap">${map}</script>`;
    const refs = extractHtmlReferences(html);
    expect(
      refs.map((ref) => [
        html.slice(ref.start, ref.end),
        ref.integrity === undefined
          ? undefined
          : html.slice(ref.integrity.start, ref.integrity.end),
      ]),
    ).toEqual(expected);
    for (const ref of refs)
      if (ref.integrity !== undefined)
        expect(ref.integrity.value).toBe(html.slice(ref.integrity.start, ref.integrity.end));
  });
});

describe('CSS references', () => {
  const cases: [string, string, string[]][] = [
    [
      'url() unquoted, single, double',
      'a{b:url(x.png);c:url(\'y.png\');d:url( "z.png" )}',
      ['x.png', 'y.png', 'z.png'],
    ],
    ['@import both forms', '@import "a.css";\n@import url(b.css) screen;', ['a.css', 'b.css']],
    ['image-set strings and urls', 'a{b:image-set("a.png" 1x, url(b.png) 2x)}', ['a.png', 'b.png']],
    [
      '@font-face src with ?#iefix',
      '@font-face{src:url(f.eot?#iefix) format("embedded-opentype"),url("f.woff2") format("woff2")}',
      ['f.eot?#iefix', 'f.woff2'],
    ],
    ['a comment in a value', 'a{b:/* c */url(x.png)}', ['x.png']],
    ['sourceMappingURL comment', 'a{}\n/*# sourceMappingURL=site.css.map */\n', ['site.css.map']],
    ['format() strings are not URLs', 'a{b:format("woff2")}', []],
  ];
  it.each(cases)('%s', (_name, css, expected) => {
    expect(spans(css, extractCssReferences(css))).toEqual(expected);
  });
});

describe('JS references', () => {
  const cases: [string, string, string[]][] = [
    [
      'static import and export from',
      'import a from "./a.js";\nexport { b } from \'./b.js\';\nexport * from "./c.js";',
      ['./a.js', './b.js', './c.js'],
    ],
    ['dynamic import with a literal', 'const m = await import("./lazy.js");', ['./lazy.js']],
    [
      'dynamic import with an expression is left alone',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: JS source under test
      'import(`./pages/${name}.js`); import(path);',
      [],
    ],
    [
      'bare specifiers are left alone',
      'import { html } from "lit"; import x from "@scope/pkg";',
      [],
    ],
    [
      'new URL with import.meta.url',
      "const w = new URL('./worker.js', import.meta.url);",
      ['./worker.js'],
    ],
    ['new URL without import.meta.url is left alone', "new URL('./x.js', location.href)", []],
    ['importScripts with several arguments', 'importScripts(\'a.js\', "b.js");', ['a.js', 'b.js']],
    [
      'calls inside strings and comments are not code',
      "// new URL('./c.js', import.meta.url)\nconst s = \"importScripts('d.js')\"; /* importScripts('e.js') */",
      [],
    ],
    [
      'a regex literal does not confuse the scan',
      "const r = /'/; importScripts('f.js');",
      ['f.js'],
    ],
    ['sourceMappingURL comment', 'x();\n//# sourceMappingURL=app.js.map\n', ['app.js.map']],
  ];
  it.each(cases)('%s', (_name, code, expected) => {
    expect(spans(code, extractJsReferences(code))).toEqual(expected);
  });
});

describe('web app manifest references', () => {
  it('names icon and screenshot sources', () => {
    const json =
      '{"name":"x","start_url":"/","icons":[{"src":"i/192.png","sizes":"192x192"}],"screenshots":[{"src":"s.png"}]}';
    expect(spans(json, extractManifestReferences(json))).toEqual(['i/192.png', 's.png']);
  });
});

describe('resolveReference', () => {
  const site = { basePath: '/docs/', baseUrl: 'https://www.example.com' };
  const cases: [string, string, string][] = [
    ['img/a.png', 'guide/index.html', 'file guide/img/a.png'],
    ['../css/site.css', 'guide/index.html', 'file css/site.css'],
    ['/docs/css/site.css?v=2#x', 'index.html', 'file css/site.css ?v=2#x'],
    ['https://www.example.com/docs/app.js', 'index.html', 'file app.js'],
    ['//www.example.com/docs/app.js', 'index.html', 'file app.js'],
    ['/other/site.css', 'index.html', 'skip outside-base-path'],
    ['https://cdn.example.net/x.js', 'index.html', 'skip external'],
    ['data:image/png;base64,AAAA', 'index.html', 'skip scheme'],
    ['blob:https://www.example.com/1', 'index.html', 'skip scheme'],
    ['mailto:a@example.com', 'index.html', 'skip scheme'],
    ['#top', 'index.html', 'skip fragment'],
    ['{{ .Site.BaseURL }}css/x.css', 'index.html', 'skip template'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a placeholder left unrendered
    ['${base}/x.js', 'index.html', 'skip template'],
    ['<%= asset %>', 'index.html', 'skip template'],
    ['../../x.png', 'index.html', 'skip outside-site'],
    ['caf%C3%A9.png', 'index.html', 'file café.png'],
    ['guide/', 'index.html', 'file guide/index.html'],
  ];
  it.each(cases)('%s from %s → %s', (raw, from, expected) => {
    const resolved = resolveReference(raw, from, site);
    const text =
      resolved.kind === 'file'
        ? `file ${resolved.path}${resolved.suffix ? ` ${resolved.suffix}` : ''}`
        : `skip ${resolved.reason}`;
    expect(text).toBe(expected);
  });

  it('renames the last segment in the form it was written, keeping query and fragment', () => {
    expect(renameInReference('../img/a.png?v=1#x', 'a.png', 'a.0123abcd.png')).toBe(
      '../img/a.0123abcd.png?v=1#x',
    );
    expect(renameInReference('caf%C3%A9.png', 'café.png', 'café.0123abcd.png')).toBe(
      'caf%C3%A9.0123abcd.png',
    );
  });
});
