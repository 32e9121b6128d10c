import { createHash } from 'node:crypto';

const encoder = new TextEncoder();

/** A site in memory: site-relative path → bytes. */
export type Site = Map<string, Uint8Array>;

export function site(entries: Record<string, string | Uint8Array>): Site {
  return new Map(
    Object.entries(entries).map(([path, body]) => [
      path,
      typeof body === 'string' ? encoder.encode(body) : body,
    ]),
  );
}

export function sri(algorithm: 'sha256' | 'sha384' | 'sha512', body: string | Uint8Array): string {
  return `${algorithm}-${createHash(algorithm).update(body).digest('base64')}`;
}

/** A hand-written site: pages, a sheet with images and fonts, a script, a download. */
export const handWritten = site({
  'index.html':
    '<!doctype html><html><head><meta charset=utf-8><title>Home</title>\n' +
    '<link rel="stylesheet" href="css/site.css">\n<link rel="icon" href="favicon.ico">\n' +
    '<meta property="og:image" content="https://www.example.com/img/og.png">\n' +
    '</head><body style="background:url(img/bg.png)">\n' +
    '<img src="img/logo.png" srcset="img/logo.png 1x, img/logo@2x.png 2x" alt="">\n' +
    '<a href="about.html">About</a> <a href="files/guide.pdf">Guide</a> <a href="https://example.org/">Out</a>\n' +
    '<script src="js/app.js"></script></body></html>\n',
  'about.html':
    '<!doctype html><link rel=stylesheet href=css/site.css><img src="img/logo.png?v=1#top">',
  'css/site.css':
    '@import "fonts.css";\nbody { background: url("../img/bg.png") }\n.logo { background-image: image-set("../img/logo.png" 1x, "../img/logo@2x.png" 2x) }\n',
  'css/fonts.css':
    '@font-face { font-family: X; src: url(../fonts/x.eot?#iefix) format("embedded-opentype"), url(\'../fonts/x.woff2\') format("woff2") }\n',
  'js/app.js': 'document.body.dataset.ready = "1";\n//# sourceMappingURL=app.js.map\n',
  'js/app.js.map': '{"version":3,"file":"app.js","sources":[],"mappings":""}',
  'img/bg.png': new Uint8Array([137, 80, 78, 71, 1]),
  'img/logo.png': new Uint8Array([137, 80, 78, 71, 2]),
  'img/logo@2x.png': new Uint8Array([137, 80, 78, 71, 3]),
  'img/og.png': new Uint8Array([137, 80, 78, 71, 4]),
  'img/unused.png': new Uint8Array([137, 80, 78, 71, 5]),
  'fonts/x.eot': new Uint8Array([1]),
  'fonts/x.woff2': new Uint8Array([2]),
  'files/guide.pdf': '%PDF-1.4',
  'favicon.ico': new Uint8Array([0, 0, 1, 0]),
  'robots.txt': 'User-agent: *\n',
});

/** A Hugo-like tree published under /blog/: nested index.html, root-absolute references. */
export const hugoLike = site({
  'index.html':
    '<link rel=stylesheet href="/blog/css/main.css"><a href="/blog/posts/first/">First</a><script src="/blog/js/menu.js" defer></script>',
  'posts/index.html': '<link rel=stylesheet href="/blog/css/main.css"><a href="first/">First</a>',
  'posts/first/index.html':
    '<link rel=stylesheet href="../../css/main.css"><img src="cover.jpg"><img src="/blog/images/shared.png"><link rel=stylesheet href="/other-site/x.css">',
  'posts/first/cover.jpg': new Uint8Array([255, 216, 1]),
  'css/main.css': 'body { background: url(/blog/images/shared.png) }',
  'images/shared.png': new Uint8Array([137, 80, 1]),
  'js/menu.js': 'document.querySelector("nav");',
  'sitemap.xml': '<urlset/>',
});

/** Two sheets that import each other and two modules that import each other. */
export const cycles = site({
  'index.html': '<link rel=stylesheet href=a.css><script type=module src=m1.js></script>',
  'a.css': '@import "b.css"; .a { background: url(pic.png) }',
  'b.css': '@import url(a.css); .b { color: red }',
  'm1.js': 'import { two } from "./m2.js"; export const one = 1;',
  'm2.js': 'import { one } from "./m1.js"; export const two = 2;',
  'pic.png': new Uint8Array([9]),
});

/** An ES-module app: an import map, static and dynamic imports, new URL, a service worker. */
export const moduleApp = site({
  'index.html':
    '<script type="importmap">{"imports": {"utils": "./js/utils.js", "lit": "https://cdn.example.net/lit.js"}}</script>\n' +
    '<link rel="modulepreload" href="js/main.js">\n<script type="module" src="js/main.js"></script>\n' +
    '<script type="module">import("./js/inline-lazy.js");</script>\n' +
    "<script>navigator.serviceWorker.register('/sw.js')</script>\n",
  'js/main.js':
    'import { helper } from "utils";\nimport { view } from "./view.js";\nconst page = await import("./pages/page.js");\nconst worker = new Worker(new URL("./worker.js", import.meta.url));\n',
  'js/view.js': 'export const view = () => import("./pages/page.js");',
  'js/utils.js': 'export const helper = 1;',
  'js/pages/page.js': 'export default "page";',
  'js/worker.js': "importScripts('./worker-lib.js');",
  'js/worker-lib.js': 'self.lib = 1;',
  'js/inline-lazy.js': 'export default 1;',
  'sw.js': "importScripts('/js/worker-lib.js');",
});

/** A page whose sheet and script carry Subresource Integrity, in two algorithms. */
const sriCss = 'body { background: url(img.png) }';
const sriJs = 'console.log(1);';
export const sriPage = site({
  'index.html': `<link rel=stylesheet href=s.css integrity="${sri('sha384', sriCss)}" crossorigin=anonymous><script src=a.js integrity="${sri('sha256', sriJs)} ${sri('sha512', sriJs)}"></script>`,
  's.css': sriCss,
  'a.js': sriJs,
  'img.png': new Uint8Array([7]),
});

/**
 * An import map whose `integrity` names modules by URL: a module whose bytes change (its import
 * is rewritten), one whose bytes stay, an external URL and a bare name (both left alone).
 */
const mapApp = 'import { dep } from "./dep.js";\nexport const app = dep;\n';
const mapDep = 'export const dep = 1;\n';
export const sriImportMap = site({
  'index.html':
    `<script type="importmap">{"imports": {"app": "./js/app.js"}, "integrity": {"./js/app.js": "${sri('sha384', mapApp)}", "/js/dep.js": "${sri('sha256', mapDep)} ${sri('sha512', mapDep)}", "https://cdn.example.net/lit.js": "sha384-external", "lit": "sha384-bare"}}</script>\n` +
    '<script type="module">import { app } from "app";</script>\n',
  'js/app.js': mapApp,
  'js/dep.js': mapDep,
});
