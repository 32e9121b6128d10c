import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractReferences, textKindOf } from '../../../src/fix/hash/extract-references.ts';
import { isHashedName } from '../../../src/fix/hash/hashed-name.ts';
import { type HashPlan, planHash, type SiteFile } from '../../../src/fix/hash/plan-hash.ts';
import { resolveReference, type SiteLocation } from '../../../src/fix/hash/resolve-reference.ts';
import {
  cycles,
  handWritten,
  hugoLike,
  moduleApp,
  type Site,
  site,
  sri,
  sriImportMap,
  sriPage,
} from './site-fixtures.ts';

const ROOT: SiteLocation = { basePath: '/', baseUrl: 'https://www.example.com' };
const decoder = new TextDecoder();

/** The tree after the plan is applied. */
function applied(files: Site, plan: HashPlan): Site {
  const out: Site = new Map();
  for (const [path, bytes] of files) {
    const output = plan.outputs.get(path);
    out.set(output?.path ?? path, output?.bytes ?? bytes);
  }
  return out;
}

function text(files: Site, path: string): string {
  const bytes = files.get(path);
  if (bytes === undefined)
    throw new Error(`${path} not in the output: ${[...files.keys()].join(', ')}`);
  return decoder.decode(bytes);
}

/** Every site file each reference of the tree resolves to (missing ones included). */
function resolvedTargets(files: Site, location: SiteLocation): string[] {
  const targets: string[] = [];
  for (const [path, bytes] of files) {
    const kind = textKindOf(path);
    if (kind === undefined) continue;
    for (const ref of extractReferences(kind, decoder.decode(bytes))) {
      const resolved = resolveReference(ref.value, path, location);
      if (resolved.kind === 'file') targets.push(resolved.path);
    }
  }
  return targets;
}

/** Checks the promises of `hash`: references resolve, none names a renamed original. */
function expectConsistent(files: Site, plan: HashPlan, location: SiteLocation): Site {
  const out = applied(files, plan);
  const missingBefore = new Set(
    resolvedTargets(files, location).filter((path) => !files.has(path)),
  );
  const renamed = new Set(plan.renames.map((r) => r.from));
  for (const target of resolvedTargets(out, location)) {
    if (missingBefore.has(target)) continue;
    expect(out.has(target), `${target} resolves to a file of the output`).toBe(true);
    expect(renamed.has(target), `${target} was renamed; nothing may still name it`).toBe(false);
  }
  return out;
}

describe('planHash on fixture sites', () => {
  it('hand-written site: referenced assets renamed, pages and fixed names kept, map with its source', () => {
    const plan = planHash(handWritten, ROOT);
    const renames = Object.fromEntries(plan.renames.map((r) => [r.from, r.to]));
    expect(Object.keys(renames)).toEqual([
      'css/fonts.css',
      'css/site.css',
      'files/guide.pdf',
      'fonts/x.eot',
      'fonts/x.woff2',
      'img/bg.png',
      'img/logo.png',
      'img/logo@2x.png',
      'img/og.png',
      'js/app.js',
      'js/app.js.map',
    ]);
    for (const to of Object.values(renames)) expect(isHashedName(to), to).toBe(true);
    const appHash = /app\.([0-9a-f]{8})\.js$/.exec(renames['js/app.js'] as string)?.[1];
    expect(renames['js/app.js.map']).toBe(`js/app.${appHash}.js.map`);
    const out = expectConsistent(handWritten, plan, ROOT);
    expect(out.has('img/unused.png')).toBe(true);
    const index = text(out, 'index.html');
    expect(index).toContain(`href="${renames['css/site.css']}"`);
    expect(index).toContain('href="favicon.ico"');
    expect(index).toContain(`content="https://www.example.com/${renames['img/og.png']}"`);
    expect(index).toContain(
      `srcset="${renames['img/logo.png']} 1x, ${renames['img/logo@2x.png']} 2x"`,
    );
    expect(index).toContain('href="about.html"');
    expect(text(out, 'about.html')).toContain(`src="${renames['img/logo.png']}?v=1#top"`);
    expect(text(out, renames['css/fonts.css'] as string)).toContain(
      `url(../${renames['fonts/x.eot']}?#iefix)`,
    );
    expect(text(out, renames['js/app.js'] as string)).toContain(
      `sourceMappingURL=app.${appHash}.js.map`,
    );
    // The rest of each file is byte-identical: only the names changed.
    expect(index.replaceAll(/\.[0-9a-f]{8}\./g, '.')).toBe(text(handWritten, 'index.html'));
  });

  it('Hugo-like tree under a base path: root-absolute and nested relative references', () => {
    const location = { basePath: '/blog/' };
    const plan = planHash(hugoLike, location);
    expect(plan.renames.map((r) => r.from)).toEqual([
      'css/main.css',
      'images/shared.png',
      'js/menu.js',
      'posts/first/cover.jpg',
    ]);
    const out = expectConsistent(hugoLike, plan, location);
    const css = plan.renames[0]?.to as string;
    expect(text(out, 'index.html')).toContain(`href="/blog/${css}"`);
    expect(text(out, 'posts/first/index.html')).toContain(`href="../../${css}"`);
    expect(text(out, 'posts/first/index.html')).toContain('href="/other-site/x.css"');
    expect(out.has('sitemap.xml')).toBe(true);
  });

  it('cycles: found, reported, each hashed together, and still resolving', () => {
    const plan = planHash(cycles, ROOT);
    expect(plan.cycles).toEqual([
      ['a.css', 'b.css'],
      ['m1.js', 'm2.js'],
    ]);
    const names = Object.fromEntries(plan.renames.map((r) => [r.from, r.to]));
    const hashOf = (name: string | undefined) => name?.split('.')[1];
    expect(hashOf(names['a.css'])).toBe(hashOf(names['b.css']));
    expect(hashOf(names['m1.js'])).toBe(hashOf(names['m2.js']));
    const out = expectConsistent(cycles, plan, ROOT);
    expect(text(out, names['b.css'] as string)).toBe(
      `@import url(${names['a.css']}); .b { color: red }`,
    );
  });

  it('pages that link each other are no cycle: nothing is hashed together', () => {
    const linked = site({
      'index.html': '<link rel=stylesheet href=a.css><a href="about.html">About</a>',
      'about.html': '<link rel=stylesheet href=a.css><a href="index.html">Home</a>',
      'a.css': 'p { color: red }',
    });
    const plan = planHash(linked, ROOT);
    expect(plan.cycles).toEqual([]);
    expect(plan.renames.map((r) => r.from)).toEqual(['a.css']);
  });

  it('ES-module app: import map, dynamic imports, new URL, importScripts; the service worker keeps its name', () => {
    const plan = planHash(moduleApp, ROOT);
    const names = Object.fromEntries(plan.renames.map((r) => [r.from, r.to]));
    expect(Object.keys(names).sort()).toEqual([
      'js/inline-lazy.js',
      'js/main.js',
      'js/pages/page.js',
      'js/utils.js',
      'js/view.js',
      'js/worker-lib.js',
      'js/worker.js',
    ]);
    const out = expectConsistent(moduleApp, plan, ROOT);
    const index = text(out, 'index.html');
    expect(index).toContain(`"utils": "./${names['js/utils.js']}"`);
    expect(index).toContain('"lit": "https://cdn.example.net/lit.js"');
    expect(index).toContain("register('/sw.js')");
    const main = text(out, names['js/main.js'] as string);
    expect(main).toContain('from "utils"');
    expect(main).toContain(
      `import("./pages/${(names['js/pages/page.js'] as string).split('/').at(-1)}")`,
    );
    expect(text(out, 'sw.js')).toContain(`importScripts('/${names['js/worker-lib.js']}')`);
  });

  it('SRI: integrity recomputed over the final bytes, in the algorithms the page used', () => {
    const plan = planHash(sriPage, ROOT);
    const out = applied(sriPage, plan);
    const names = Object.fromEntries(plan.renames.map((r) => [r.from, r.to]));
    const css = out.get(names['s.css'] as string) as Uint8Array;
    const js = out.get(names['a.js'] as string) as Uint8Array;
    const index = text(out, 'index.html');
    expect(index).toContain(`integrity="${sri('sha384', css)}"`);
    expect(index).toContain(`integrity="${sri('sha256', js)} ${sri('sha512', js)}"`);
    // a.js kept its bytes, so only the sheet's integrity changed.
    expect(plan.rewrites.find((r) => r.path === 'index.html')).toMatchObject({
      references: 2,
      integrity: 1,
    });
  });

  it('import map integrity: keys follow the renames, values recomputed for the final bytes', () => {
    const plan = planHash(sriImportMap, ROOT);
    const out = applied(sriImportMap, plan);
    const names = Object.fromEntries(plan.renames.map((r) => [r.from, r.to]));
    const app = names['js/app.js'] as string;
    const dep = names['js/dep.js'] as string;
    expect(isHashedName(app) && isHashedName(dep)).toBe(true);
    const appBytes = out.get(app) as Uint8Array;
    const depBytes = out.get(dep) as Uint8Array;
    // app.js imports dep.js by its new name, so its bytes (and its digest) changed.
    expect(decoder.decode(appBytes)).toContain(`"./${dep.split('/').at(-1)}"`);
    const map = JSON.parse(
      /<script type="importmap">(.*)<\/script>/.exec(text(out, 'index.html'))?.[1] as string,
    ) as { imports: Record<string, string>; integrity: Record<string, string> };
    expect(map.imports).toEqual({ app: `./${app}` });
    expect(map.integrity).toEqual({
      [`./${app}`]: sri('sha384', appBytes),
      [`/${dep}`]: `${sri('sha256', depBytes)} ${sri('sha512', depBytes)}`,
      'https://cdn.example.net/lit.js': 'sha384-external',
      lit: 'sha384-bare',
    });
    // The imports value and two keys renamed; only app.js's value changed.
    expect(plan.rewrites).toEqual([
      { path: 'index.html', references: 3, integrity: 1 },
      { path: 'js/app.js', references: 1, integrity: 0 },
    ]);
    expect(plan.warnings).toEqual([]);
  });

  it('import map integrity over a file whose bytes are not at hand: renamed, value kept', () => {
    const json = new TextEncoder().encode('{"a":1}');
    const written = sri('sha384', 'what the author computed');
    const files = new Map<string, SiteFile>([
      [
        'index.html',
        new TextEncoder().encode(
          `<script type="importmap">{"integrity": {"./data.json": "${written}"}}</script>`,
        ),
      ],
      ['data.json', { sha256: createHash('sha256').update(json).digest('hex') }],
    ]);
    const plan = planHash(files, ROOT);
    const to = plan.outputs.get('data.json')?.path as string;
    expect(isHashedName(to)).toBe(true);
    const index = decoder.decode(plan.outputs.get('index.html')?.bytes);
    // As for an integrity= attribute: its bytes do not change, so the value is left as written.
    expect(index).toBe(
      `<script type="importmap">{"integrity": {"./${to}": "${written}"}}</script>`,
    );
    expect(plan.rewrites).toEqual([{ path: 'index.html', references: 1, integrity: 0 }]);
  });

  it('a missing file is a warning and the reference stays as written', () => {
    const files = site({
      'index.html': '<img src="gone.png"><img src="here.png">',
      'here.png': new Uint8Array([1]),
    });
    const plan = planHash(files, ROOT);
    expect(plan.warnings.map((w) => [w.code, w.reference])).toEqual([['missing', 'gone.png']]);
    expect(text(applied(files, plan), 'index.html')).toMatch(
      /^<img src="gone.png"><img src="here\.[0-9a-f]{8}\.png">$/,
    );
  });

  it('keeps a BOM, CRLF line ends and entities byte for byte; a file that is not UTF-8 is left alone', () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf]);
    const page = new TextEncoder().encode(
      '<p title="caf&eacute;">\r\n<img src="a.png?x=1&amp;y=2">\r\n',
    );
    const files = site({
      'index.html': new Uint8Array([...bom, ...page]),
      'legacy.html': new Uint8Array([0x3c, 0x69, 0x6d, 0x67, 0x20, 0xe9, 0x3e]),
      'a.png': new Uint8Array([1]),
    });
    const plan = planHash(files, ROOT);
    const out = plan.outputs.get('index.html')?.bytes as Uint8Array;
    expect([...out.slice(0, 3)]).toEqual([...bom]);
    const name = plan.renames[0]?.to as string;
    expect(decoder.decode(out.slice(3))).toBe(
      `<p title="caf&eacute;">\r\n<img src="${name}?x=1&amp;y=2">\r\n`,
    );
    expect(plan.warnings.map((w) => [w.code, w.path])).toEqual([['not-utf8', 'legacy.html']]);
  });

  it('a page with <base href> is reported and left as written', () => {
    const files = site({
      'index.html': '<base href="/app/"><img src="a.png">',
      'other.html': '<img src="a.png">',
      'a.png': new Uint8Array([1]),
    });
    const plan = planHash(files, ROOT);
    expect(plan.warnings.map((w) => [w.code, w.path])).toEqual([['base-href', 'index.html']]);
    expect(plan.outputs.has('index.html')).toBe(false);
    expect(plan.renames.map((r) => r.from)).toEqual(['a.png']);
  });

  it('a file given by its SHA-256 alone gets the name its bytes would give, and no new bytes', () => {
    const digestOnly = new Map<string, SiteFile>(
      [...handWritten].map(([path, bytes]) => [
        path,
        textKindOf(path) === undefined
          ? { sha256: createHash('sha256').update(bytes).digest('hex') }
          : bytes,
      ]),
    );
    const plan = planHash(digestOnly, ROOT);
    expect(plan.renames).toEqual(planHash(handWritten, ROOT).renames);
    expect(plan.outputs.get('img/logo.png')).toEqual({
      path: plan.renames.find((r) => r.from === 'img/logo.png')?.to,
    });
  });

  it('include, exclude and length', () => {
    const plan = planHash(handWritten, ROOT, {
      include: ['img/**', 'css/**'],
      exclude: ['img/og.png'],
      length: 12,
    });
    expect(plan.renames.map((r) => r.from)).toEqual([
      'css/fonts.css',
      'css/site.css',
      'img/bg.png',
      'img/logo.png',
      'img/logo@2x.png',
    ]);
    for (const { to } of plan.renames) expect(to).toMatch(/\.[0-9a-f]{12}\.[a-z0-9]+$/);
  });

  it.each([
    ['hand-written', handWritten, ROOT],
    ['hugo-like', hugoLike, { basePath: '/blog/' }],
    ['cycles', cycles, ROOT],
    ['module app', moduleApp, ROOT],
    ['sri', sriPage, ROOT],
  ] as const)('%s: deterministic and idempotent', (_name, files, location) => {
    const first = planHash(files, location);
    const again = planHash(new Map([...files].reverse()), location);
    expect(again.renames).toEqual(first.renames);
    expect(applied(files, again)).toEqual(applied(files, first));
    const second = planHash(applied(files, first), location);
    expect(second.renames).toEqual([]);
    expect(second.outputs.size).toBe(0);
  });

  it('a change in a leaf changes the names of everything that references it, and nothing else', () => {
    const before = planHash(handWritten, ROOT);
    const changed = new Map(handWritten);
    changed.set('fonts/x.woff2', new Uint8Array([3]));
    const after = planHash(changed, ROOT);
    const differing = after.renames
      .filter((r, i) => r.to !== before.renames[i]?.to)
      .map((r) => r.from);
    expect(differing).toEqual(['css/fonts.css', 'css/site.css', 'fonts/x.woff2']);
  });
});

// Small generated sites: pages, sheets and scripts referencing each other (cycles included)
// and images, in relative and root-absolute forms.
const generatedSite = fc
  .record({
    css: fc.integer({ min: 1, max: 4 }),
    js: fc.integer({ min: 1, max: 4 }),
    img: fc.integer({ min: 1, max: 3 }),
    links: fc.array(fc.tuple(fc.nat(20), fc.nat(20), fc.boolean()), { maxLength: 25 }),
    salt: fc.string({ maxLength: 4 }).map((s) => s.replaceAll(/[^a-z]/g, '')),
  })
  .map(({ css, js, img, links, salt }) => {
    const sheets = Array.from({ length: css }, (_, i) => `s/c${i}.css`);
    const scripts = Array.from({ length: js }, (_, i) => `j/m${i}.js`);
    const images = Array.from({ length: img }, (_, i) => `i/p${i}.png`);
    const body = new Map<string, string[]>([
      ['index.html', []],
      ['sub/page.html', []],
    ]);
    for (const path of [...sheets, ...scripts]) body.set(path, [`/* ${salt} ${path} */`]);
    const sources = [...body.keys()];
    const targets = [...sheets, ...scripts, ...images];
    for (const [from, to, absolute] of links) {
      const source = sources[from % sources.length] as string;
      const target = targets[to % targets.length] as string;
      const depth = source.split('/').length - 1;
      const url = absolute ? `/${target}` : `${'../'.repeat(depth)}${target}`;
      const ref = url.startsWith('/') || url.startsWith('../') ? url : `./${url}`;
      if (source.endsWith('.html')) {
        if (target.endsWith('.css')) body.get(source)?.push(`<link rel=stylesheet href="${url}">`);
        else if (target.endsWith('.js'))
          body.get(source)?.push(`<script type=module src="${url}"></script>`);
        else body.get(source)?.push(`<img src="${url}">`);
      } else if (source.endsWith('.css')) {
        body
          .get(source)
          ?.push(target.endsWith('.css') ? `@import "${url}";` : `.x { background: url(${url}) }`);
      } else if (target.endsWith('.js')) body.get(source)?.push(`import "${ref}";`);
      else body.get(source)?.push(`new URL("${ref}", import.meta.url);`);
    }
    // @import must come first in a sheet.
    const entries: Record<string, string | Uint8Array> = {};
    for (const [path, lines] of body) {
      entries[path] = path.endsWith('.css')
        ? [...lines]
            .sort((a, b) => Number(b.startsWith('@')) - Number(a.startsWith('@')))
            .join('\n')
        : lines.join('\n');
    }
    for (const path of images)
      entries[path] = new Uint8Array(
        createHash('md5')
          .update(path + salt)
          .digest(),
      );
    return site(entries);
  });

describe('planHash properties', () => {
  it('every rewritten reference resolves; none names a renamed original; same input, same output; a second run changes nothing', () => {
    fc.assert(
      fc.property(generatedSite, (files) => {
        const plan = planHash(files, ROOT);
        const out = expectConsistent(files, plan, ROOT);
        expect(planHash(new Map([...files].reverse()), ROOT).outputs).toEqual(plan.outputs);
        const second = planHash(out, ROOT);
        expect(second.renames).toEqual([]);
        expect(second.outputs.size).toBe(0);
        expect(plan.warnings.filter((w) => w.code !== 'missing')).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});
