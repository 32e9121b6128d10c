import { posix } from 'node:path';

/** Where the site is published: the URL path of the directory and, if known, its origin. */
export interface SiteLocation {
  /** `urls.basePath`: `/` or `/docs/`. */
  readonly basePath: string;
  /** `baseUrl`: absolute URLs on this origin (under basePath) are the site's own files. */
  readonly baseUrl?: string | undefined;
}

export type SkipReason =
  | 'empty'
  | 'fragment'
  | 'template'
  | 'scheme'
  | 'external'
  | 'outside-base-path'
  | 'outside-site'
  | 'bad-encoding';

export type Resolved =
  | {
      readonly kind: 'file';
      /** The site-relative file path (`assets/app.js`), percent-decoded. */
      readonly path: string;
      /** The reference text before `?` / `#`, as written. */
      readonly pathPart: string;
      /** `?query#fragment`, as written, kept on rewrite. */
      readonly suffix: string;
    }
  | { readonly kind: 'skip'; readonly reason: SkipReason };

// Placeholders of template engines that were not rendered: the reference is not a file yet.
const TEMPLATE = /\{\{|\{%|\$\{|<%|%>|\}\}/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

function withSlash(path: string): string {
  return path.endsWith('/') ? path : `${path}/`;
}

/**
 * Resolves one reference found in `fromPath` (a site-relative file path) to a file of the site,
 * or says why it is left alone: external URLs, `data:`, `blob:`, `mailto:`, fragment-only
 * references, unrendered template placeholders, paths outside the base path or the site.
 */
export function resolveReference(raw: string, fromPath: string, site: SiteLocation): Resolved {
  const value = raw.trim();
  if (value === '') return { kind: 'skip', reason: 'empty' };
  if (value.startsWith('#')) return { kind: 'skip', reason: 'fragment' };
  if (TEMPLATE.test(value)) return { kind: 'skip', reason: 'template' };
  const cut = value.search(/[?#]/);
  const pathPart = cut < 0 ? value : value.slice(0, cut);
  const suffix = cut < 0 ? '' : value.slice(cut);
  const basePath = withSlash(site.basePath);
  let urlPath: string;
  const scheme = SCHEME.exec(value)?.[1]?.toLowerCase();
  if (scheme !== undefined || value.startsWith('//')) {
    if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
      return { kind: 'skip', reason: 'scheme' };
    }
    if (site.baseUrl === undefined) return { kind: 'skip', reason: 'external' };
    let url: URL;
    let base: URL;
    try {
      base = new URL(site.baseUrl);
      url = new URL(pathPart, base);
    } catch {
      return { kind: 'skip', reason: 'external' };
    }
    if (url.host !== base.host || (scheme !== undefined && url.protocol !== base.protocol)) {
      return { kind: 'skip', reason: 'external' };
    }
    urlPath = url.pathname;
  } else if (pathPart.startsWith('/')) {
    urlPath = pathPart;
  } else {
    urlPath = posix.join(basePath, posix.dirname(fromPath), pathPart);
    if (pathPart.endsWith('/') && !urlPath.endsWith('/')) urlPath += '/';
  }
  const normal = posix.normalize(urlPath);
  if (!normal.startsWith(basePath) && `${normal}/` !== basePath) {
    return {
      kind: 'skip',
      reason: pathPart.startsWith('/') ? 'outside-base-path' : 'outside-site',
    };
  }
  let path: string;
  try {
    path = decodeURIComponent(normal.slice(basePath.length));
  } catch {
    return { kind: 'skip', reason: 'bad-encoding' };
  }
  if (path === '' || path.endsWith('/')) path += 'index.html';
  return { kind: 'file', path, pathPart, suffix };
}

/**
 * The reference text with its last path segment renamed from `fromName` to `toName` (both
 * decoded file names that differ by the inserted hash), keeping the form it was written in:
 * relative stays relative, `?query` and `#fragment` stay. Undefined when the written segment
 * does not end in the same extension (a form this rewriter does not understand).
 */
export function renameInReference(
  raw: string,
  fromName: string,
  toName: string,
): string | undefined {
  const cut = raw.search(/[?#]/);
  const pathPart = cut < 0 ? raw : raw.slice(0, cut);
  const suffix = cut < 0 ? '' : raw.slice(cut);
  const slash = pathPart.lastIndexOf('/');
  const segment = pathPart.slice(slash + 1);
  if (segment === fromName) return `${pathPart.slice(0, slash + 1)}${toName}${suffix}`;
  // A percent-encoded name: the hash goes in front of the same (ASCII) tail.
  let common = 0;
  while (
    common < fromName.length &&
    common < toName.length &&
    fromName[fromName.length - 1 - common] === toName[toName.length - 1 - common]
  ) {
    common += 1;
  }
  const tail = fromName.slice(fromName.length - common);
  const inserted = toName.slice(
    toName.length - common - (toName.length - fromName.length),
    toName.length - common,
  );
  if (tail === '' || !segment.endsWith(tail) || !/^[\x21-\x7e]*$/.test(tail)) return undefined;
  const head = segment.slice(0, segment.length - tail.length);
  return `${pathPart.slice(0, slash + 1)}${head}${inserted}${tail}${suffix}`;
}
