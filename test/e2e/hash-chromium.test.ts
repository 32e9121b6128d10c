import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.ts';
import { runProcess } from '../support/run-process.ts';

// Debian's chromium (apt-get install chromium); the test is skipped where it is not installed.
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) =>
  existsSync(path),
);

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const CLASSIC = 'window.sriLoaded = true;';
const SHEET = '@import "b.css";\n.a { color: rgb(1, 2, 3); background: url(../img/bg.png) }\n';
const sri = (body: string) => createHash('sha384').update(body).digest('base64');

// Every reference form that makes a request, and a page that writes down what loaded: the
// computed styles from both sheets of an @import cycle, each module (static, dynamic, import
// map, new URL), the image and the SRI-checked script.
const SITE: Record<string, string | Buffer> = {
  'index.html': `<!doctype html><html><head><meta charset=utf-8>
<script type="importmap">{"imports": {"util": "./js/util.js"}}</script>
<link rel="stylesheet" href="css/a.css" integrity="sha384-${sri(SHEET)}" crossorigin="anonymous">
<script src="js/classic.js" integrity="sha384-${sri(CLASSIC)}" crossorigin="anonymous"></script>
<script type="module" src="js/main.js"></script>
</head><body><p class="a">a</p><p class="b">b</p><img id="img" src="img/dot.png" srcset="img/dot.png 1x, img/dot2.png 2x">
</body></html>`,
  // Its bytes change with the rename of bg.png and b.css: its integrity must be recomputed.
  'css/a.css': SHEET,
  'css/b.css': '@import url("a.css");\n.b { color: rgb(4, 5, 6) }\n',
  'js/main.js': `import { util } from "util";
import { peer } from "./peer.js";
const lazy = await import("./lazy.js");
const data = await fetch(new URL("../data/info.json", import.meta.url)).then((r) => r.json());
const img = document.getElementById("img");
await (img.complete ? Promise.resolve() : new Promise((resolve) => img.addEventListener("load", resolve)));
const style = (selector) => getComputedStyle(document.querySelector(selector)).color;
document.body.dataset.result = [util, peer, lazy.default, data.ok, style(".a"), style(".b"), img.naturalWidth, window.sriLoaded].join("|");
`,
  'js/peer.js': 'import { main } from "./cycle.js";\nexport const peer = "peer";\n',
  'js/cycle.js': 'import { peer } from "./peer.js";\nexport const main = () => peer;\n',
  'js/util.js': 'export const util = "util";\n',
  'js/lazy.js': 'export default "lazy";\n',
  'js/classic.js': CLASSIC,
  'data/info.json': '{"ok": "json"}',
  'img/dot.png': PNG,
  // Chromium asks for it on its own; it keeps its name.
  'favicon.ico': PNG,
  'img/dot2.png': Buffer.concat([PNG, Buffer.from([0])]),
  'img/bg.png': Buffer.concat([PNG, Buffer.from([1])]),
};
const EXPECTED = 'util|peer|lazy|json|rgb(1, 2, 3)|rgb(4, 5, 6)|1|true';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.png': 'image/png',
};

let root: string;

/** A loopback static server over `dir` that records every request and its status. */
async function serve(dir: string): Promise<{ server: Server; url: string; log: string[] }> {
  const log: string[] = [];
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const file = join(dir, normalize(path.endsWith('/') ? `${path}index.html` : path));
    try {
      const body = await readFile(file);
      response.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      });
      response.end(body);
      log.push(`200 ${path}`);
    } catch {
      response.writeHead(404).end();
      log.push(`404 ${path}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, log };
}

async function render(
  dir: string,
): Promise<{ result: string | undefined; log: string[]; screenshot: Buffer }> {
  const { server, url, log } = await serve(dir);
  try {
    const profile = await mkdtemp(join(root, 'profile-'));
    const flags = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      `--user-data-dir=${profile}`,
      '--virtual-time-budget=10000',
      '--window-size=400,300',
    ];
    const dom = await runProcess(CHROMIUM as string, [...flags, '--dump-dom', url], {
      cwd: root,
      env: { HOME: root, PATH: process.env.PATH },
    });
    const shot = join(root, `shot-${Date.now()}.png`);
    await runProcess(CHROMIUM as string, [...flags, `--screenshot=${shot}`, url], {
      cwd: root,
      env: { HOME: root, PATH: process.env.PATH },
    });
    const result = /data-result="([^"]*)"/.exec(dom.stdout)?.[1];
    return { result, log, screenshot: await readFile(shot) };
  } finally {
    server.close();
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'edgepurge-hash-chromium-'));
  for (const [path, body] of Object.entries(SITE)) {
    await mkdir(dirname(join(root, 'site', path)), { recursive: true });
    await writeFile(join(root, 'site', path), body);
  }
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// CI installs chromium and sets EDGEPURGE_E2E_BROWSER=required: there a missing browser fails.
if (CHROMIUM === undefined && process.env.EDGEPURGE_E2E_BROWSER === 'required') {
  throw new Error(
    'EDGEPURGE_E2E_BROWSER=required but no /usr/bin/chromium: apt-get install chromium',
  );
}

describe.skipIf(CHROMIUM === undefined)('hashed site in headless Chromium', () => {
  it('renders as before with no failed request, and asks only for hashed asset names', async () => {
    const before = await render(join(root, 'site'));
    expect(before.result).toBe(EXPECTED);

    const run = await runCli(['hash', 'site', '--out', 'out', '--json'], { cwd: root });
    expect(run.code).toBe(0);
    const { cycles } = JSON.parse(run.stdout) as { cycles: string[][] };
    expect(cycles).toEqual([
      ['css/a.css', 'css/b.css'],
      ['js/cycle.js', 'js/peer.js'],
    ]);

    const after = await render(join(root, 'out'));
    expect(after.result).toBe(EXPECTED);
    expect(after.log.filter((line) => !line.startsWith('200 '))).toEqual([]);
    // Every asset request names a hashed file; only the page keeps its name.
    const assets = after.log
      .map((line) => line.slice(4))
      .filter((path) => path !== '/' && path !== '/favicon.ico');
    expect(assets.length).toBeGreaterThanOrEqual(10);
    for (const path of assets) expect(path).toMatch(/\.[0-9a-f]{8}\.[a-z]+$/);
    expect(after.screenshot.equals(before.screenshot)).toBe(true);
  }, 120_000);
});
