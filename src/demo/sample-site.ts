import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The mtime every sample file gets, as a reproducible build (SOURCE_DATE_EPOCH) would give it:
 * fixed, so the sample's ETags are the same on every run and a rebuild does not change them.
 */
export const SAMPLE_SITE_MTIME = new Date('2024-05-01T12:00:00Z');

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Sample site</title>
  <link rel="stylesheet" href="/assets/style.css">
</head>
<body>
  <header><img src="/assets/logo.svg" alt="" width="32" height="32"> Sample site</header>
  <main>
    <h1>Welcome</h1>
    <p>This page is served by <code>edgepurge demo</code>: an origin that builds ETags like nginx,
    behind a cache that behaves like Varnish.</p>
    <p>Build: <span id="release">unknown</span></p>
    <p><a href="/about/">About</a> · <a href="/blog/hello-world/">Blog</a></p>
  </main>
  <script src="/assets/app.js"></script>
</body>
</html>
`;

const ABOUT_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>About</title>
  <link rel="stylesheet" href="/assets/style.css">
</head>
<body>
  <main>
    <h1>About</h1>
    <p>You are reading release 1 of the about page.</p>
    <p><a href="/">Home</a></p>
  </main>
</body>
</html>
`;

const BLOG_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Hello, world</title>
  <link rel="stylesheet" href="/assets/style.css">
</head>
<body>
  <main>
    <h1>Hello, world</h1>
    <p>The first post. It does not change in the demo, so edgepurge leaves it alone.</p>
  </main>
</body>
</html>
`;

const APP_JS = `// Shows which build the visitor got.
const RELEASE = 'release 1';
document.addEventListener('DOMContentLoaded', () => {
  const target = document.getElementById('release');
  if (target) target.textContent = RELEASE;
});
`;

const STYLE_CSS = `body {
  font: 16px/1.5 system-ui, sans-serif;
  margin: 0 auto;
  max-width: 40rem;
  padding: 1rem;
}
header {
  display: flex;
  gap: 0.5rem;
  align-items: center;
}
#release {
  font-weight: bold;
}
`;

const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">
  <rect width="32" height="32" rx="6" fill="#2d6cdf"/>
  <path d="M8 16h16M16 8v16" stroke="#fff" stroke-width="3" stroke-linecap="round"/>
</svg>
`;

const ROBOTS_TXT = `User-agent: *
Allow: /
`;

const FILES: Readonly<Record<string, string>> = {
  'index.html': INDEX_HTML,
  'about/index.html': ABOUT_HTML,
  'blog/hello-world/index.html': BLOG_HTML,
  'assets/app.js': APP_JS,
  'assets/style.css': STYLE_CSS,
  'assets/logo.svg': LOGO_SVG,
  'robots.txt': ROBOTS_TXT,
};

/** Every file of the sample site, relative to its directory, `/`-separated. */
export const SAMPLE_SITE_FILES: readonly string[] = Object.keys(FILES);

// The "next release": same byte length, so nginx's mtime-size ETag cannot notice the change.
const EDITS: readonly { file: string; from: string; to: string }[] = [
  { file: 'assets/app.js', from: "'release 1'", to: "'release 2'" },
  { file: 'about/index.html', from: 'release 1 of', to: 'release 2 of' },
];

/**
 * Writes the bundled sample site (7 files) into `dir`, creating folders as needed, and gives
 * every file the mtime {@link SAMPLE_SITE_MTIME}.
 */
export async function writeSampleSite(dir: string): Promise<void> {
  for (const [file, content] of Object.entries(FILES)) {
    const target = path.join(dir, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
    await utimes(target, SAMPLE_SITE_MTIME, SAMPLE_SITE_MTIME);
  }
}

/**
 * Changes `assets/app.js` and `about/index.html` to "release 2" content of the same byte length,
 * then puts each file's original atime and mtime back — what `cp -p`, `rsync -t` or a
 * reproducible build does. Size and mtime are unchanged, so nginx's ETag is unchanged while the
 * bytes differ. Returns the edited paths, relative to `dir`.
 */
export async function editSampleSiteInPlace(dir: string): Promise<string[]> {
  const edited: string[] = [];
  for (const { file, from, to } of EDITS) {
    const target = path.join(dir, file);
    const before = await stat(target);
    const content = await readFile(target, 'utf8');
    if (!content.includes(from)) {
      throw new Error(`${file} does not contain ${JSON.stringify(from)}; was it edited already?`);
    }
    const next = content.replace(from, to);
    if (Buffer.byteLength(next) !== before.size) {
      throw new Error(`editing ${file} would change its size; the demo needs the same size`);
    }
    await writeFile(target, next);
    await utimes(target, before.atime, before.mtime);
    edited.push(file);
  }
  return edited;
}
