import { posix } from 'node:path';
import picomatch from 'picomatch';
import { isHashedName } from './hashed-name.ts';

// Names that browsers, crawlers or platforms ask for by a fixed URL: pages, robots.txt,
// sitemaps, favicon.ico, web app manifests and service workers (a renamed service worker is a
// new registration, and the old one keeps control of the page).
const KEPT_BASENAMES =
  /^(robots\.txt|sitemap[^/]*\.xml|favicon\.ico|manifest\.json|sw\.js|service-worker\.js|.*\.webmanifest|.*\.html?)$/i;

export interface HashSelectionOptions {
  /** Globs (site-relative paths): only matching files are hashed. Default: every file. */
  readonly include?: readonly string[] | undefined;
  /** Globs of files that keep their names, on top of the defaults. */
  readonly exclude?: readonly string[] | undefined;
}

export type KeepReason =
  | 'fixed-name'
  | 'already-hashed'
  | 'excluded'
  | 'not-included'
  | 'service-worker';

/**
 * Decides whether a referenced file gets a hashed name, or why not. HTML entry files and the
 * fixed names above keep theirs; so do files already named with a hash (which is what makes
 * `hash` idempotent) and files registered as service workers.
 */
export function hashSelector(options: HashSelectionOptions) {
  const include = options.include?.length
    ? picomatch([...options.include], { dot: true })
    : undefined;
  const exclude = options.exclude?.length
    ? picomatch([...options.exclude], { dot: true })
    : undefined;
  return (path: string, serviceWorkers: ReadonlySet<string>): KeepReason | 'hash' => {
    if (KEPT_BASENAMES.test(posix.basename(path))) return 'fixed-name';
    if (serviceWorkers.has(path)) return 'service-worker';
    if (isHashedName(path)) return 'already-hashed';
    if (exclude?.(path)) return 'excluded';
    if (include !== undefined && !include(path)) return 'not-included';
    return 'hash';
  };
}
