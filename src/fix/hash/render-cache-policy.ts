import { posix } from 'node:path';
import { DEFAULT_HASH_LENGTH, hashedPathPattern, isHashedName } from './hashed-name.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const NO_CACHE = 'no-cache';

function urlOf(basePath: string, path: string): string {
  const base = basePath.endsWith('/') ? basePath : `${basePath}/`;
  return base + path.split('/').map(encodeURIComponent).join('/');
}

/**
 * A `_headers` file (Netlify and Cloudflare Pages): each hashed file immutable for a year,
 * each HTML page (and its folder URL) `no-cache`, so a page is revalidated on every visit
 * and the assets it names are never asked for twice. One rule per URL: the formats have no
 * regex rules, and Cloudflare Pages reads at most 100 rules (the count is returned).
 */
export function renderHeadersFile(
  paths: readonly string[],
  basePath: string,
): { text: string; rules: number } {
  const lines: string[] = [
    '# Written by `edgepurge hash`: hashed names are immutable, pages revalidate.',
  ];
  let rules = 0;
  for (const path of [...paths].sort()) {
    const url = urlOf(basePath, path);
    if (isHashedName(path)) {
      lines.push(url, `  Cache-Control: ${IMMUTABLE}`);
      rules += 1;
    } else if (/\.html?$/i.test(path)) {
      const urls =
        posix.basename(path) === 'index.html' ? [url.slice(0, -'index.html'.length), url] : [url];
      for (const each of urls) lines.push(each, `  Cache-Control: ${NO_CACHE}`);
      rules += urls.length;
    }
  }
  return { text: `${lines.join('\n')}\n`, rules };
}

/**
 * An nginx snippet for the `server` block: a regex `location` for hashed names (the same
 * definition `hash` and the cache-policy lint use) and one for pages. `always` makes nginx
 * send the header on 304s too, which is where a browser refreshes its cached policy.
 */
export function renderNginxSnippet(length: number = DEFAULT_HASH_LENGTH): string {
  return [
    '# Written by `edgepurge hash`: include inside the server block that serves the site.',
    `location ~ "${hashedPathPattern(length)}" {`,
    `    add_header Cache-Control "${IMMUTABLE}" always;`,
    '}',
    'location ~ "(\\.html?|/)$" {',
    `    add_header Cache-Control "${NO_CACHE}" always;`,
    '}',
    '',
  ].join('\n');
}
