/**
 * The fixture sites of issue 9, in a form a browser can load: real PNGs of distinct colours and
 * sizes, stylesheets that visibly style the page, modules that run. Each page writes a result
 * (`document.body.dataset.result`) naming what loaded — colours from every stylesheet, each
 * image's natural size, each module's value, the count of resources that answered 200 by
 * initiator — so a reference the hash fix broke shows up in the result, in the network log or in
 * the screenshot. No URL the browser fetches is external (links in `<a href>` are not fetched).
 * Fonts are left to the unit tests (test/unit/hash/site-fixtures.ts): no valid font is made here.
 */
import { createHash } from 'node:crypto';
import { solidPng } from './solid-png.ts';

export interface BrowserSite {
  /** The test's name for it. */
  readonly name: string;
  /** The host it is published on (baseUrl `http://<host>`), resolved to the stack's Varnish. */
  readonly host: string;
  /** `urls.basePath`; the files live under `public/<basePath>` so nginx serves them there. */
  readonly basePath: string;
  /** Site path (relative to the published dir) → bytes. */
  readonly files: Readonly<Record<string, string | Buffer>>;
  /** URL paths loaded in the browser, each with the result its page must write. */
  readonly pages: Readonly<Record<string, string>>;
  /** The cycles `plan` must report (files hashed together), sorted. */
  readonly cycles: readonly (readonly string[])[];
}

const sri = (algorithm: 'sha256' | 'sha384' | 'sha512', body: string): string =>
  `${algorithm}-${createHash(algorithm).update(body).digest('base64')}`;

// A function every page script carries: what the page shows, as a string that is the same before
// and after the rename (no URL in it). `[data-probe]` elements report their computed colour.
const SUMMARY = `function pageSummary() {
  const probes = [...document.querySelectorAll("[data-probe]")].map((el) => el.dataset.probe + ":" + getComputedStyle(el).color);
  const images = [...document.images].map((img) => img.id + ":" + img.naturalWidth + "x" + img.naturalHeight);
  const loaded = {};
  for (const entry of performance.getEntriesByType("resource"))
    if (entry.responseStatus === 200) loaded[entry.initiatorType] = (loaded[entry.initiatorType] ?? 0) + 1;
  return [...probes, ...images, ...Object.keys(loaded).sort().map((type) => type + "*" + loaded[type])].join(" ");
}
`;
const ON_LOAD = `${SUMMARY}window.addEventListener("load", () => { document.body.dataset.result = pageSummary(); });\n`;
const LOADED =
  'await new Promise((resolve) => document.readyState === "complete" ? resolve() : window.addEventListener("load", resolve));\n';

const page = (title: string, head: string, body: string): string =>
  `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title>\n${head}\n</head>\n<body>\n${body}\n</body></html>\n`;

const BASE_CSS = 'body { margin: 8px; font: 14px/1.3 sans-serif; }\n';

/**
 * Hand-written HTML: `<link>` (icon, stylesheet), `<style>` with `@import` and `url()`, inline
 * `style`, `src` + `srcset` (x and w descriptors, `<picture><source>`), `<use href>#fragment`,
 * `?query` kept, CSS `@import`, `url()` and `image-set()`, a classic script with a sourcemap.
 */
const handWritten: BrowserSite = {
  name: 'hand-written HTML site',
  host: 'hand.example.test',
  basePath: '/',
  files: {
    'index.html': page(
      'Hand-written',
      [
        '<link rel="icon" href="favicon.ico">',
        '<link rel="stylesheet" href="css/site.css">',
        '<style>@import url("css/extra.css");\n.stripe { height: 12px; background: url("img/stripe.png") repeat-x; }</style>',
        '<meta property="og:image" content="http://hand.example.test/img/logo.png">',
      ].join('\n'),
      [
        '<h1 data-probe="h1">Hand-written</h1>',
        '<div class="stripe"></div>',
        '<p data-probe="p" style="background: url(\'img/note.png?v=2\'); height: 20px">a note</p>',
        '<img id="logo" src="img/logo.png" srcset="img/logo.png 1x, img/logo@2x.png 2x" alt="logo">',
        '<picture><source srcset="img/wide-100.png 100w, img/wide-200.png 200w" sizes="100px" type="image/png"><img id="wide" src="img/logo.png" alt="wide"></picture>',
        '<span class="badge"></span>',
        '<svg width="24" height="24"><use href="img/icons.svg#dot"/></svg>',
        '<p><a href="about.html">About</a> <a href="files/guide.pdf">Guide</a> <a href="https://example.org/">Elsewhere</a></p>',
        '<script src="js/app.js"></script>',
      ].join('\n'),
    ),
    'about.html': page(
      'About',
      '<link rel="stylesheet" href="css/site.css">',
      '<h1>About</h1><img src="img/logo.png" alt="">',
    ),
    'css/site.css': `@import "base.css";
h1 { color: rgb(200, 30, 30); }
body { background: url("../img/bg.png"); }
.badge { display: inline-block; width: 30px; height: 10px; background-image: image-set("../img/badge.png" 1x, "../img/badge@2x.png" 2x); }
`,
    'css/base.css': `${BASE_CSS}p { color: rgb(20, 120, 20); }\n`,
    'css/extra.css': '.stripe { border-bottom: 4px solid rgb(20, 60, 110); }\n',
    'js/app.js': `${ON_LOAD}//# sourceMappingURL=app.js.map\n`,
    'js/app.js.map': '{"version":3,"file":"app.js","sources":[],"names":[],"mappings":""}',
    'img/bg.png': solidPng(8, 8, [250, 240, 220]),
    'img/stripe.png': solidPng(4, 12, [60, 160, 220]),
    'img/note.png': solidPng(4, 4, [255, 230, 120]),
    'img/logo.png': solidPng(48, 24, [200, 40, 40]),
    'img/logo@2x.png': solidPng(96, 48, [200, 40, 40]),
    'img/badge.png': solidPng(30, 10, [40, 160, 60]),
    'img/wide-100.png': solidPng(100, 12, [140, 100, 40]),
    'img/wide-200.png': solidPng(200, 24, [140, 100, 40]),
    'img/badge@2x.png': solidPng(60, 20, [40, 160, 60]),
    'img/icons.svg':
      '<svg xmlns="http://www.w3.org/2000/svg"><symbol id="dot" viewBox="0 0 10 10"><circle cx="5" cy="5" r="5" fill="rgb(30, 30, 200)"/></symbol></svg>\n',
    'files/guide.pdf': '%PDF-1.4\n%%EOF\n',
    'favicon.ico': solidPng(16, 16, [10, 10, 10]),
    'robots.txt': 'User-agent: *\n',
  },
  pages: {
    '/': 'h1:rgb(200, 30, 30) p:rgb(20, 120, 20) logo:48x24 wide:100x12 css*6 img*2 link*1 other*1 script*1',
  },
  cycles: [],
};

const hugoHead = (css: string) =>
  `<link rel="icon" href="/blog/favicon.ico">\n<link rel="stylesheet" href="${css}">`;
const hugoNav =
  '<nav><a href="/blog/">Home</a> <a href="/blog/posts/">Posts</a> <a href="https://gohugo.io/">Hugo</a></nav>';

/**
 * A Hugo-like tree published under /blog/: nested index.html, a page bundle (the post's cover
 * beside it), root-absolute references under the base path and an absolute one on baseUrl.
 */
const hugoLike: BrowserSite = {
  name: 'Hugo-like tree under a base path',
  host: 'blog.example.test',
  basePath: '/blog/',
  files: {
    'index.html': page(
      'Blog',
      hugoHead('/blog/css/main.css'),
      [
        hugoNav,
        '<h1 data-probe="h1">Blog</h1>',
        '<ul><li><a href="/blog/posts/first/">First post</a></li></ul>',
        '<img id="shared" src="/blog/images/shared.png" alt="">',
        '<img id="banner" src="http://blog.example.test/blog/images/banner.png" alt="">',
        '<script src="/blog/js/menu.js" defer></script>',
      ].join('\n'),
    ),
    'posts/index.html': page(
      'Posts',
      hugoHead('../css/main.css'),
      [
        hugoNav,
        '<h1 data-probe="h1">Posts</h1>',
        '<ul><li><a href="first/">First post</a></li></ul>',
        '<script src="../js/menu.js" defer></script>',
      ].join('\n'),
    ),
    'posts/first/index.html': page(
      'First post',
      hugoHead('../../css/main.css'),
      [
        hugoNav,
        '<h1 data-probe="h1">First post</h1>',
        '<img id="cover" src="cover.png" alt="">',
        '<img id="shared" src="/blog/images/shared.png" alt="">',
        '<script src="/blog/js/menu.js" defer></script>',
      ].join('\n'),
    ),
    'posts/first/cover.png': solidPng(64, 32, [120, 60, 180]),
    'css/main.css': `${BASE_CSS}body { background: url(/blog/images/bg.png); }\nh1 { color: rgb(30, 90, 160); }\nnav { border-bottom: 4px solid rgb(30, 90, 160); }\n`,
    'js/menu.js': ON_LOAD,
    'images/shared.png': solidPng(32, 32, [230, 120, 30]),
    'images/banner.png': solidPng(120, 16, [30, 150, 140]),
    'images/bg.png': solidPng(8, 8, [235, 245, 235]),
    'favicon.ico': solidPng(16, 16, [30, 90, 160]),
    'sitemap.xml':
      '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://blog.example.test/blog/</loc></url></urlset>\n',
  },
  pages: {
    '/blog/': 'h1:rgb(30, 90, 160) shared:32x32 banner:120x16 css*1 img*2 link*1 script*1',
    '/blog/posts/': 'h1:rgb(30, 90, 160) css*1 link*1 script*1',
    '/blog/posts/first/':
      'h1:rgb(30, 90, 160) cover:64x32 shared:32x32 css*1 img*2 link*1 script*1',
  },
  cycles: [],
};

/** Two stylesheets that @import each other, two modules that import each other. */
const cycles: BrowserSite = {
  name: 'CSS @import cycle and JS import cycle',
  host: 'cycles.example.test',
  basePath: '/',
  files: {
    'index.html': page(
      'Cycles',
      '<link rel="icon" href="favicon.ico">\n<link rel="stylesheet" href="css/a.css">\n<script type="module" src="js/main.js"></script>',
      '<div class="a" data-probe="a">sheet a</div>\n<div class="b" data-probe="b">sheet b</div>',
    ),
    'css/a.css': `@import "b.css";\n${BASE_CSS}.a { color: rgb(10, 100, 200); height: 24px; background: url(../img/a.png) repeat-x; }\n`,
    'css/b.css':
      '@import url("a.css");\n.b { color: rgb(200, 100, 10); height: 24px; background: url(../img/b.png) repeat-x; }\n',
    'js/main.js': `import { one, sum } from "./m1.js";\nimport { two, label } from "./m2.js";\n${SUMMARY}${LOADED}document.body.dataset.result = [one, two, sum(), label(), pageSummary()].join("|");\n`,
    'js/m1.js':
      'import { two } from "./m2.js";\nexport const one = "m1";\nexport const sum = () => one + "+" + two;\n',
    'js/m2.js':
      'import { one } from "./m1.js";\nexport const two = "m2";\nexport const label = () => two + " sees " + one;\n',
    'img/a.png': solidPng(6, 24, [180, 220, 250]),
    'img/b.png': solidPng(6, 24, [250, 220, 180]),
    'favicon.ico': solidPng(16, 16, [10, 100, 200]),
  },
  pages: {
    '/': 'm1|m2|m1+m2|m2 sees m1|a:rgb(10, 100, 200) b:rgb(200, 100, 10) css*3 link*1 script*3',
  },
  cycles: [
    ['css/a.css', 'css/b.css'],
    ['js/m1.js', 'js/m2.js'],
  ],
};

/**
 * An ES-module app: an import map (one entry external, never fetched), modulepreload, static and
 * dynamic imports, an inline module's dynamic import, `new URL(…, import.meta.url)` for data, an
 * image and a worker, and `importScripts` in the worker.
 */
const moduleApp: BrowserSite = {
  name: 'ES-module app with dynamic imports and an import map',
  host: 'app.example.test',
  basePath: '/',
  files: {
    'index.html': page(
      'Module app',
      [
        '<link rel="icon" href="favicon.ico">',
        '<script type="importmap">{"imports": {"utils": "./js/utils.js", "./js/legacy.js": "./js/modern.js", "lit": "https://cdn.example.net/lit.js"}}</script>',
        '<link rel="stylesheet" href="css/app.css">',
        '<link rel="modulepreload" href="js/main.js">',
        '<script type="module" src="js/main.js"></script>',
        '<script type="module">import { inlineStatic } from "./js/inline-static.js";\nimport("./js/inline-lazy.js").then((lazy) => { window.inlineLazy = inlineStatic + " + " + lazy.default; });</script>',
      ].join('\n'),
      '<h1 data-probe="h1">Module app</h1>\n<main id="app"></main>',
    ),
    'css/app.css': `${BASE_CSS}h1 { color: rgb(120, 20, 120); }\n#app p { color: rgb(20, 20, 120); }\n`,
    'js/main.js': `import { helper } from "utils";
import { flavour } from "./legacy.js";
import { view } from "./view.js";
${SUMMARY}const page = await import("./pages/page.js");
const viewed = await view();
const data = await fetch(new URL("../data/app.json", import.meta.url)).then((response) => response.json());
const worker = new Worker(new URL("./worker.js", import.meta.url));
const fromWorker = await new Promise((resolve) => { worker.onmessage = (event) => resolve(event.data); });
const hero = document.createElement("img");
hero.id = "hero";
hero.src = new URL("../img/hero.png", import.meta.url).href;
await hero.decode();
const text = document.createElement("p");
text.dataset.probe = "p";
text.textContent = page.default;
document.getElementById("app").append(hero, text);
${LOADED}while (window.inlineLazy === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
document.body.dataset.result = [helper, flavour, page.default, viewed.default, data.ok, fromWorker, window.inlineLazy, pageSummary()].join("|");
`,
    'js/view.js': 'export const view = () => import("./pages/page.js");\n',
    'js/utils.js': 'export const helper = "utils via import map";\n',
    'js/legacy.js': 'export const flavour = "legacy";\n',
    'js/modern.js': 'export const flavour = "modern via import map";\n',
    'js/pages/page.js': 'export default "dynamic page";\n',
    'js/inline-lazy.js': 'export default "inline lazy";\n',
    'js/inline-static.js': 'export const inlineStatic = "inline static";\n',
    'js/worker.js': 'importScripts("./worker-lib.js");\npostMessage(self.lib);\n',
    'js/worker-lib.js': 'self.lib = "worker lib";\n',
    'data/app.json': '{"ok": "json"}\n',
    'img/hero.png': solidPng(80, 40, [20, 180, 90]),
    'favicon.ico': solidPng(16, 16, [120, 20, 120]),
  },
  pages: {
    '/': 'utils via import map|modern via import map|dynamic page|dynamic page|json|worker lib|inline static + inline lazy|h1:rgb(120, 20, 120) p:rgb(20, 20, 120) hero:80x40 fetch*1 img*1 link*1 other*3 script*6',
  },
  cycles: [],
};

// Each of these changes bytes in the rename (a url(), a sourceMappingURL, an import), so the
// integrity attributes that name them must be recomputed or the browser refuses them.
const SRI_CSS = `${BASE_CSS}h1 { color: rgb(160, 40, 80); }\n.box { width: 60px; height: 30px; background: url(../img/tile.png); }\n`;
const SRI_CLASSIC = 'window.classicLoaded = "classic";\n//# sourceMappingURL=classic.js.map\n';
const SRI_MODULE = `import { dep } from "./dep.js";\n${SUMMARY}${LOADED}document.body.dataset.result = [window.classicLoaded, dep, pageSummary()].join("|");\n`;
// Imported by the module, so checked against the import map's `integrity` for its URL.
const SRI_DEP = 'import { leaf } from "./leaf.js";\nexport const dep = leaf;\n';

/**
 * A page whose stylesheet, classic script and module (with its modulepreload) carry SRI, and
 * whose import map gives the integrity of a module the module imports.
 */
const sriPage: BrowserSite = {
  name: 'page with Subresource Integrity',
  host: 'sri.example.test',
  basePath: '/',
  files: {
    'index.html': page(
      'SRI',
      [
        '<link rel="icon" href="favicon.ico">',
        `<script type="importmap">{"integrity": {"./js/dep.js": "${sri('sha384', SRI_DEP)}"}}</script>`,
        `<link rel="stylesheet" href="css/s.css" integrity="${sri('sha384', SRI_CSS)}" crossorigin="anonymous">`,
        `<link rel="modulepreload" href="js/m.js" integrity="${sri('sha384', SRI_MODULE)}">`,
        `<script src="js/classic.js" integrity="${sri('sha256', SRI_CLASSIC)} ${sri('sha512', SRI_CLASSIC)}" crossorigin="anonymous"></script>`,
        `<script type="module" src="js/m.js" integrity="${sri('sha384', SRI_MODULE)}"></script>`,
      ].join('\n'),
      '<h1 data-probe="h1">Integrity</h1>\n<div class="box"></div>',
    ),
    'css/s.css': SRI_CSS,
    'js/classic.js': SRI_CLASSIC,
    'js/classic.js.map': '{"version":3,"file":"classic.js","sources":[],"names":[],"mappings":""}',
    'js/m.js': SRI_MODULE,
    'js/dep.js': SRI_DEP,
    'js/leaf.js': 'export const leaf = "dep";\n',
    'img/tile.png': solidPng(10, 10, [160, 40, 80]),
    'favicon.ico': solidPng(16, 16, [160, 40, 80]),
  },
  pages: {
    '/': 'classic|dep|h1:rgb(160, 40, 80) css*1 link*1 other*1 script*3',
  },
  cycles: [],
};

/** The five fixture sites issue 9 names, in the order the test loads them. */
export const BROWSER_SITES: readonly BrowserSite[] = [
  handWritten,
  hugoLike,
  cycles,
  moduleApp,
  sriPage,
];
