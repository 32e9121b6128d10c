import { createHash } from 'node:crypto';
import type { PurgeBatch } from '../providers/provider.ts';

/**
 * CloudFront invalidates *paths* of a distribution (`/a/b.css`, `/dir/*`, `/*`), not URLs:
 * host-less, case-sensitive, a `*` only at the end. Pure functions from plan entries to the
 * paths CloudFront is sent, and the cost model the planner weighs collapses with.
 *
 * Sources (AWS CloudFront Developer Guide):
 * - invalidation-specifying-objects.html: "If the path includes non-ASCII characters or unsafe
 *   characters as defined in RFC 1738, URL-encode those characters. Do not URL-encode any other
 *   characters in the path, or CloudFront will not invalidate the old version of the updated
 *   file." A wildcard only at the end of a path; at most 4,000 characters.
 * - InvalidationLimits.html: up to 3,000 individual paths in progress at once per distribution
 *   (in one invalidation or many), and up to 15 wildcard paths in progress, counted apart.
 * - PayingForInvalidation.html: the first 1,000 paths a month are free (per AWS account), then
 *   each path is charged; a wildcard path counts as one even if it matches thousands of files.
 */

/** Paths one CreateInvalidation takes, and the individual paths in progress at once. */
export const MAX_PATHS_IN_PROGRESS = 3_000;
/** Wildcard paths in progress at once (independent of the 3,000). */
export const MAX_WILDCARDS_IN_PROGRESS = 15;
/** The free tier: paths a month, per AWS account. */
export const FREE_PATHS_PER_MONTH = 1_000;
/** CloudFront refuses longer paths. */
export const MAX_PATH_LENGTH = 4_000;

// RFC 1738 section 2.2, "Unsafe": space < > " # % { } | \ ^ ~ [ ] `, and the control
// characters; with non-ASCII these are the only characters CloudFront wants encoded.
const UNSAFE = new Set([...' <>"#%{}|\\^~[]`']);

/**
 * One path segment (decoded) as CloudFront wants it: non-ASCII (as UTF-8), controls and RFC
 * 1738's unsafe characters percent-encoded, everything else as it is (`'`, `(`, `+`, `@`, `=`,
 * `&`, `;`, `:`, `!`, `$`, `,`, `*`).
 */
export function encodeInvalidationSegment(segment: string): string {
  let out = '';
  for (const char of segment) {
    const code = char.codePointAt(0) ?? 0;
    // A `/` inside a segment came encoded (%2F) and must stay so, or the path would change.
    if (code > 0x7e || code < 0x21 || UNSAFE.has(char) || char === '/') {
      for (const byte of Buffer.from(char, 'utf8'))
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    } else out += char;
  }
  return out;
}

/**
 * The invalidation path of a URL path as the planner builds it (WHATWG-encoded): each segment
 * decoded, then encoded as CloudFront documents. A query string is kept as sent.
 */
export function invalidationPathOf(urlPath: string): string {
  const at = urlPath.indexOf('?');
  const path = at === -1 ? urlPath : urlPath.slice(0, at);
  const query = at === -1 ? '' : urlPath.slice(at);
  const encoded = path
    .split('/')
    .map((segment) => encodeInvalidationSegment(safeDecode(segment)))
    .join('/');
  return `${encoded.startsWith('/') ? '' : '/'}${encoded}${query}`;
}

/** `https://host/a%20b.html` → `/a%20b.html`. */
export function urlToInvalidationPath(url: string): string {
  const parsed = new URL(url);
  return invalidationPathOf(`${parsed.pathname}${parsed.search}`);
}

/** A prefix `host/dir/` → the wildcard `/dir/*` (everything whose path starts with `/dir/`). */
export function prefixToInvalidationPath(prefix: string): string {
  const slash = prefix.indexOf('/');
  const path = slash === -1 ? '/' : prefix.slice(slash);
  return `${invalidationPathOf(path)}*`;
}

/**
 * The paths one batch invalidates, deduplicated, in order: URLs by their path (the host is the
 * distribution's), prefixes as wildcards, a host or everything as `/*`. Tags are refused by the
 * capabilities (CloudFront has no tag invalidation).
 */
export function invalidationPaths(batch: PurgeBatch): string[] {
  switch (batch.kind) {
    case 'urls':
      return [...new Set(batch.urls.map(urlToInvalidationPath))];
    case 'prefixes':
      return [...new Set(batch.prefixes.map(prefixToInvalidationPath))];
    case 'hosts':
    case 'everything':
      return ['/*'];
    case 'tags':
      throw new Error('CloudFront has no tag invalidation');
  }
}

/** Whether CloudFront counts `path` against the 15 wildcard paths in progress. */
export function isWildcard(path: string): boolean {
  return path.endsWith('*');
}

/**
 * The CallerReference of an invalidation: the run (the same after a resume, so CloudFront
 * returns the invalidation it already made instead of making, and billing, a second one), the
 * distribution and the paths. "If you make a second invalidation request with the same value for
 * CallerReference, and if the rest of the request is the same, CloudFront doesn't create a new
 * invalidation request" (API_InvalidationBatch.html).
 */
export function callerReference(
  run: string,
  distributionId: string,
  paths: readonly string[],
): string {
  const hash = createHash('sha256').update(`${run}\n${distributionId}\n`);
  for (const path of paths) hash.update(`${path}\n`);
  return `edgepurge-${hash.digest('hex').slice(0, 40)}`;
}

/** Paths billed when `paths` are sent with `freeLeft` free paths left this month. */
export function billedPaths(paths: number, freeLeft: number): number {
  return Math.max(0, paths - Math.max(0, freeLeft));
}

/**
 * Whether a collapse (prefix wildcards in place of some paths) pays for itself on a provider
 * billed per path. The planner has already held its collateral within `purge.maxCollateral`;
 * the collapse is taken when it lowers the paths billed this month, or when it evicts nothing
 * extra and sends fewer paths (which leaves more of the free tier). With collateral and nothing
 * billed either way, the exact paths win: evicting unchanged files costs origin traffic for
 * nothing.
 */
export function collapsePaysForPaths(
  collapsedPaths: number,
  exactPaths: number,
  collateral: number,
  freePerMonth: number,
): boolean {
  if (collapsedPaths >= exactPaths) return false;
  if (billedPaths(collapsedPaths, freePerMonth) < billedPaths(exactPaths, freePerMonth))
    return true;
  return collateral === 0;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
