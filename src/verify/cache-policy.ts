import picomatch from 'picomatch';
import { isHashedName } from '../fix/hash/hashed-name.ts';

/** A config `policy` entry: files matching `match` (a glob on the file path) must send `cacheControl`. */
export interface PolicyRule {
  readonly match: string;
  readonly cacheControl: string;
}

/** One thing wrong with a response's Cache-Control; `expected` and `seen` are shown side by side. */
export interface PolicyFinding {
  readonly severity: 'error' | 'warning';
  readonly expected: string;
  readonly seen: string;
  readonly message: string;
}

/** One parsed directive: the name lower-cased, the value unquoted (`undefined` when it has none). */
export interface CacheDirective {
  readonly name: string;
  readonly value?: string;
}

/** Longest max-age an un-hashed asset may carry before the next deploy is stale in browsers. */
const ONE_DAY = 86_400;

const RUNBOOK_FIX_3 =
  "runbook Fix 3: send 'Cache-Control: no-cache' for HTML pages (not assets) so every visit revalidates";

const LONG_MAX_AGE_CAUSE =
  'the next deploy will be stale again until max-age runs out: use content-hash file names, or a short max-age with revalidation';

/**
 * Parses a Cache-Control field value (RFC 9111 §5.2): a comma-separated list of
 * `token [ "=" ( token / quoted-string ) ]`. Names are case-insensitive and lower-cased; quoted
 * values are unescaped (`\"` → `"`), so `max-age="60"` equals `max-age=60`. Commas inside a quoted
 * string (`no-cache="Set-Cookie, Foo"`) do not split. Empty list elements are skipped
 * (RFC 9110 §5.6.1). Duplicates are kept, in order, so callers can see them. Pure.
 */
export function parseCacheControl(field: string): CacheDirective[] {
  const directives: CacheDirective[] = [];
  let i = 0;
  const n = field.length;
  while (i < n) {
    while (i < n && (field[i] === ',' || field[i] === ' ' || field[i] === '\t')) i++;
    if (i >= n) break;
    let name = '';
    while (i < n && field[i] !== '=' && field[i] !== ',') name += field[i++];
    name = name.trim().toLowerCase();
    let value: string | undefined;
    if (field[i] === '=') {
      i++;
      while (i < n && (field[i] === ' ' || field[i] === '\t')) i++;
      if (field[i] === '"') {
        i++;
        value = '';
        while (i < n && field[i] !== '"') {
          if (field[i] === '\\' && i + 1 < n) i++;
          value += field[i++];
        }
        i++; // the closing quote
        while (i < n && field[i] !== ',') i++; // junk after a quoted string is ignored
      } else {
        value = '';
        while (i < n && field[i] !== ',') value += field[i++];
        value = value.trim();
      }
    }
    if (name !== '') directives.push(value === undefined ? { name } : { name, value });
  }
  return directives;
}

/**
 * Whether a file name carries a content hash, so a long max-age with `immutable` is safe.
 *
 * Every name edgepurge's own `hash` writes is one: `isHashedName` (src/fix/hash/hashed-name.ts)
 * is the one definition the fix and this lint share (`app.3f2a9c1b.js`, any `hash.length`).
 * Beyond it, the names bundlers write, by the following heuristic. The stem (the name without its last extension) must hold a hash segment:
 * - an alphanumeric run of 8 or more characters between `.`, `-`, `_` or the stem's ends that is
 *   hex in one case with at least one digit and one letter (webpack/Parcel `app.3f9a1c2b.js`,
 *   Next.js `main-2f1e8c9d3b5a7e6f.js`, Hugo and Rails 64-hex fingerprints), or that mixes two
 *   of upper case, lower case and digits without reading as words (`main-BXk3y9Q2.css`);
 * - or the 8-character tail after a `-` that Rollup/Vite (base64url, which may hold `-` and `_`:
 *   `index-Bq-_Yv3a.js`) and esbuild (upper-case base32: `out-5DHFTUWS.js`) append.
 *
 * Version numbers never qualify (`jquery-3.7.1.min.js`: no run reaches 8), nor dates and build
 * numbers (digits only), nor words (`vendor-polyfills.js`, `html5shiv.js`, `MyComponent.js`,
 * `roboto-v30-latin-700.woff2`, `DSC01234.jpg`). The price of that caution, measured on random
 * names: about 4% of Vite's and 2% of 8-hex hashes read as words or hold no letter and are missed,
 * which costs a warning only when such a file is cached long; 20-hex hashes are not missed.
 */
export function isContentHashed(path: string): boolean {
  if (isHashedName(path)) return true;
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  const stem = dot > 0 ? name.slice(0, dot) : name;
  for (const run of stem.split(/[._-]/)) if (isHashRun(run)) return true;
  const tail = /-([A-Za-z0-9_-]{8})$/.exec(stem)?.[1];
  return tail !== undefined && stem.length > 9 && isBase64Tail(tail);
}

function isHashRun(run: string): boolean {
  if (run.length < 8 || !/^[A-Za-z0-9]+$/.test(run)) return false;
  const digit = /\d/.test(run);
  if (/^[0-9a-f]+$/.test(run) || /^[0-9A-F]+$/.test(run)) return digit && /[a-fA-F]/.test(run);
  const classes = Number(/[A-Z]/.test(run)) + Number(/[a-z]/.test(run)) + Number(digit);
  return classes >= 2 && !readsAsWords(run);
}

function isBase64Tail(tail: string): boolean {
  // esbuild's default `[name]-[hash]` is 8 characters of upper-case base32: one class only.
  if (/^[A-Z2-7]{8}$/.test(tail)) return !readsAsWords(tail);
  if (!/[-_]/.test(tail)) return isHashRun(tail);
  const classes = Number(/[A-Z]/.test(tail)) + Number(/[a-z]/.test(tail)) + Number(/\d/.test(tail));
  return classes >= 2 && !readsAsWords(tail);
}

/**
 * Whether a run reads as words rather than noise. Split camel-case style into acronyms (`XML`),
 * words (`Request`, `shiv`) and digit runs: when it has more than four letters, one token must be
 * a real word (4+ letters with a vowel), and every letter token must be an acronym of 2–4
 * capitals, a word of 2+ letters with a vowel, a short lower-case abbreviation (`html`, `css`), or
 * one lower-case letter next to digits (`1080p`, `v30`, `180x180`). Random hashes almost always
 * break one of these (`Xs`, `Hm`, `BXk` + `y`, no real word).
 */
function readsAsWords(text: string): boolean {
  // Tokenised without nested quantifiers, so a long name cannot make the regex backtrack.
  const tokens = text.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+|[^A-Za-z\d]+/g) ?? [];
  const letters = text.replace(/[^A-Za-z]/g, '').length;
  const hasWord = tokens.some(
    (token) => /^[A-Z]?[a-z]{3,}$/.test(token) && token.length >= 4 && /[aeiou]/.test(token),
  );
  if (letters > 4 && !hasWord) return false;
  return tokens.every((token, i) => {
    if (/^\d+$/.test(token) || !/[A-Za-z]/.test(token)) return true;
    if (/^[A-Z]+$/.test(token)) return token.length >= 2 && token.length <= 4;
    if (token.length >= 2 && /[aeiouy]/i.test(token)) return true;
    if (/^[a-z]{2,4}$/.test(token)) return true;
    return (
      /^[a-z]$/.test(token) && (/\d/.test(tokens[i - 1] ?? '') || /\d/.test(tokens[i + 1] ?? ''))
    );
  });
}

function isHtml(path: string): boolean {
  return path === '' || path.endsWith('/') || /\.(?:html?|xhtml)$/i.test(path);
}

/** A delta-seconds value (RFC 9111 §1.2.2), or `undefined` when the value is not one. */
function seconds(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

function sameValue(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const na = seconds(a);
  const nb = seconds(b);
  if (na !== undefined && nb !== undefined) return na === nb;
  return a.toLowerCase() === b.toLowerCase();
}

function show(directive: CacheDirective): string {
  if (directive.value === undefined) return directive.name;
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(directive.value)
    ? `${directive.name}=${directive.value}`
    : `${directive.name}="${directive.value.replace(/["\\]/g, '\\$&')}"`;
}

const matchers = new Map<string, (path: string) => boolean>();

function matches(glob: string, path: string): boolean {
  let isMatch = matchers.get(glob);
  if (isMatch === undefined) {
    isMatch = picomatch(glob, { dot: true });
    matchers.set(glob, isMatch);
  }
  return isMatch(path);
}

/**
 * Lints the Cache-Control a file was served with. `path` is the file path (`about/index.html`);
 * `rules` are the config's `policy`, first matching glob wins. Returns `[]` when all is well.
 *
 * - A matching rule: the header must carry each of the rule's directives with the same value
 *   (error otherwise).
 * - No rule, HTML: it must revalidate (`no-cache`, `no-store`, or `max-age=0, must-revalidate`);
 *   no header at all is a warning (heuristic caching, RFC 9111 §4.2.2).
 * - No rule, content-hashed name: anything goes (`max-age=31536000, immutable` is the point).
 * - No rule, any other file: a max-age or s-maxage above one day, or `immutable`, is a warning
 *   unless `no-cache` / `no-store` makes every use revalidate anyway.
 * - Always: conflicting directives are a warning. With duplicates the first one counts
 *   (RFC 9111 §4.2.1).
 *
 * Pure; globs are compiled once and memoised.
 */
export function lintCachePolicy(
  path: string,
  cacheControl: string | undefined,
  rules: readonly PolicyRule[],
): PolicyFinding[] {
  const seen = cacheControl?.trim() || '(none)';
  const directives = cacheControl === undefined ? [] : parseCacheControl(cacheControl);
  const first = new Map<string, CacheDirective>();
  for (const directive of directives)
    if (!first.has(directive.name)) first.set(directive.name, directive);
  const findings: PolicyFinding[] = [];

  const rule = rules.find((candidate) => matches(candidate.match, path));
  if (rule !== undefined) {
    const wrong = parseCacheControl(rule.cacheControl).filter((want) => {
      const got = first.get(want.name);
      return got === undefined || !sameValue(got.value, want.value);
    });
    if (wrong.length > 0)
      findings.push({
        severity: 'error',
        expected: rule.cacheControl,
        seen,
        message: `policy '${rule.match}' requires ${wrong.map(show).join(', ')}${cacheControl === undefined ? ', but the response has no Cache-Control' : ', which the response does not carry'}`,
      });
  } else if (isHtml(path)) {
    if (cacheControl === undefined || directives.length === 0)
      findings.push({
        severity: 'warning',
        expected: 'no-cache',
        seen,
        message: `HTML without Cache-Control: browsers and caches apply heuristic caching and may keep the old page; ${RUNBOOK_FIX_3}`,
      });
    else if (!revalidates(first))
      findings.push({
        severity: 'error',
        expected: 'no-cache (or max-age=0, must-revalidate)',
        seen,
        message: `HTML must revalidate, or visitors keep the old page after a deploy; ${RUNBOOK_FIX_3}`,
      });
  } else if (!isContentHashed(path) && !revalidates(first)) {
    // With no-cache or no-store every use revalidates, so a long max-age cannot serve old bytes.
    const long = longLived(first);
    if (long !== undefined)
      findings.push({
        severity: 'warning',
        expected: `max-age <= ${ONE_DAY} with revalidation, or a content-hash file name`,
        seen,
        message: `${long} on a file name without a content hash: ${LONG_MAX_AGE_CAUSE}`,
      });
  }

  for (const conflict of conflicts(directives, first))
    findings.push({
      severity: 'warning',
      expected: 'directives that agree',
      seen,
      message: conflict,
    });
  return findings;
}

function revalidates(first: ReadonlyMap<string, CacheDirective>): boolean {
  // A qualified `no-cache="Set-Cookie"` only strips those fields; it does not force revalidation.
  const noCache = first.get('no-cache');
  if (noCache !== undefined && noCache.value === undefined) return true;
  if (first.has('no-store')) return true;
  return seconds(first.get('max-age')?.value) === 0 && first.has('must-revalidate');
}

/** Describes why a response may be reused for more than a day, or `undefined`. */
function longLived(first: ReadonlyMap<string, CacheDirective>): string | undefined {
  for (const name of ['max-age', 's-maxage']) {
    const value = seconds(first.get(name)?.value);
    if (value !== undefined && value > ONE_DAY) return `${name}=${value} (${days(value)})`;
  }
  return first.has('immutable') ? 'immutable' : undefined;
}

function days(value: number): string {
  const d = value / ONE_DAY;
  return d >= 2 ? `${Math.round(d)} days` : `${Math.round(value / 3600)} hours`;
}

function conflicts(
  directives: readonly CacheDirective[],
  first: ReadonlyMap<string, CacheDirective>,
): string[] {
  const out: string[] = [];
  for (const blocker of ['no-cache', 'no-store'])
    if (first.has(blocker) && first.has('immutable'))
      out.push(
        `'${blocker}' with 'immutable' contradicts itself: caches differ on which wins; drop one`,
      );
  if (first.has('no-store'))
    for (const name of ['max-age', 's-maxage']) {
      const value = seconds(first.get(name)?.value);
      if (value !== undefined && value > 0)
        out.push(`'no-store' with '${name}=${value}' contradicts itself: nothing may be stored`);
    }
  if (first.has('public') && first.has('private'))
    out.push("'public' with 'private' contradicts itself: caches differ on which wins");
  for (const [name, winner] of first) {
    const other = directives.find((d) => d.name === name && !sameValue(d.value, winner.value));
    if (other !== undefined)
      out.push(
        `'${name}' appears twice with different values (${show(winner)}, ${show(other)}): caches use the first or treat the response as stale (RFC 9111 §4.2.1)`,
      );
  }
  for (const name of ['max-age', 's-maxage']) {
    const directive = first.get(name);
    if (directive !== undefined && seconds(directive.value) === undefined)
      out.push(`'${show(directive)}' is not a number of seconds: caches ignore or misread it`);
  }
  return out;
}
