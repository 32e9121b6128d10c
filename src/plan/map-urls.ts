/** How file paths become public URL paths (DESIGN.md, "plan"). */
export interface UrlOptions {
  /** Also serve `/page` for `page.html` (try_files $uri.html, Netlify, Vercel). */
  readonly cleanUrls: boolean;
  /** Path the publish directory is served under; `/` or `/docs/`. */
  readonly basePath: string;
}

const INDEX = 'index.html';

/**
 * The URL paths under which a static server answers for `path` — each a separate cache entry,
 * so each must be purged and verified. `about/index.html` → `/about/`, `/about/index.html`;
 * with cleanUrls also `/about`. Segments are percent-encoded per RFC 3986.
 */
export function urlPathsFor(path: string, options: UrlOptions): string[] {
  const base = normaliseBase(options.basePath);
  const encoded = path.split('/').map(encodeSegment).join('/');
  const out: string[] = [];
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  const dir = slash === -1 ? '' : encoded.slice(0, encoded.lastIndexOf('/') + 1);
  if (name === INDEX) {
    out.push(`${base}${dir}`);
    if (options.cleanUrls && dir !== '') out.push(`${base}${dir.slice(0, -1)}`);
    out.push(`${base}${encoded}`);
  } else {
    out.push(`${base}${encoded}`);
    if (options.cleanUrls && name.endsWith('.html')) out.push(`${base}${encoded.slice(0, -5)}`);
  }
  return out;
}

/**
 * RFC 3986 segment encoding: unreserved and sub-delims stay, as do `:` and `@`; everything else,
 * including space and non-ASCII (as UTF-8), becomes %XX.
 */
export function encodeSegment(segment: string): string {
  // Most names need no encoding at all: skip the two string passes (a plan maps every file).
  if (PLAIN_SEGMENT.test(segment)) return segment;
  // encodeURIComponent already leaves unreserved and !'()* alone; restore the other
  // characters RFC 3986 allows in a path segment, as browsers send them.
  return encodeURIComponent(segment).replace(/%(?:3A|40|24|26|2B|2C|3B|3D)/gi, decodeURIComponent);
}

/** A segment of characters RFC 3986 allows as they are (unreserved, sub-delims, `:`, `@`). */
const PLAIN_SEGMENT = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]*$/;

function normaliseBase(basePath: string): string {
  const withLead = basePath.startsWith('/') ? basePath : `/${basePath}`;
  return withLead.endsWith('/') ? withLead : `${withLead}/`;
}

/** The absolute URL for a URL path on the site's public origin. */
export function absoluteUrl(baseUrl: string, urlPath: string): string {
  // Parsing the base URL once per plan, not once per file (the planner calls this for each).
  if (baseUrl !== lastBase.url) lastBase = { url: baseUrl, origin: new URL(baseUrl).origin };
  return `${lastBase.origin}${urlPath}`;
}

let lastBase = { url: '', origin: '' };
