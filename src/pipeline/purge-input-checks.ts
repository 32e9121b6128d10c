import { InputError } from '../errors.ts';
import { printable } from '../report/printable.ts';

/**
 * Where a manual purge value came from, for its error: `name` is what the message calls it
 * (`--file urls.txt line 3`), `at` the flag or Action input to fix (`--file`).
 */
export interface ValueSource {
  readonly name: string;
  readonly at: string;
}

/** A value a user typed: one line of a list, or one flag. */
export interface ListedValue {
  readonly value: string;
  readonly source: ValueSource;
}

// Every C0 control (tab, CR, LF, NUL, ESC…), DEL, and the C1 controls. Before these checks a CR
// or LF in --prefix/--tag/--host reached an HTTP header, where it failed as a "network error"
// retried for 106 s, and in --url the URL parser silently dropped it.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const NAMES: Readonly<Record<string, string>> = {
  '\0': 'NUL',
  '\t': 'a tab',
  '\n': 'LF',
  '\r': 'CR',
  '\u001b': 'ESC',
  '\u007f': 'DEL',
};

/**
 * Splits a list (a `--file`, an Action input: one value a line) into values. Line ends are
 * LF or CRLF; blank lines and `#` comments are skipped; spaces and tabs around a value are
 * trimmed, nothing else: a stray CR (or any control character) inside a line is refused
 * naming the line, not silently dropped. Pure.
 */
export function listLines(
  text: string,
  name: string,
  at: string,
  check: (value: string, source: ValueSource) => unknown = refuseControl,
): ListedValue[] {
  const values: ListedValue[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const value = line.replace(/^[ \t]+|[ \t]+$/g, '');
    if (value === '' || value.startsWith('#')) return;
    const source = { name: `${name} line ${index + 1}`, at };
    refuseControl(value, source);
    check(value, source);
    values.push({ value, source });
  });
  return values;
}

/** Refuses a value holding a control character, naming it and where the value came from. */
export function refuseControl(value: string, source: ValueSource): void {
  const found = CONTROL.exec(value);
  if (found === null) return;
  const char = found[0];
  const code = `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  const named = NAMES[char] === undefined ? code : `${NAMES[char]}, ${code}`;
  refuse(source, value, `holds a control character (${named})`, [
    'remove it: a purge target is one line of plain text',
    'a file may end its lines with CRLF, but a CR inside a line is refused',
  ]);
}

/**
 * A cache tag (Cloudflare `tags`, a Fastly surrogate key, a Varnish xkey): one tag per flag,
 * without whitespace or commas, which providers read as separators (`a b` purged two tags).
 */
export function checkTag(value: string, source: ValueSource): string {
  refuseControl(value, source);
  if (value === '') refuse(source, value, 'is empty', ['give a tag, e.g. --tag product-42']);
  if (/[\s,]/u.test(value)) {
    refuse(source, value, `holds ${/,/.test(value) ? 'a comma' : 'whitespace'}`, [
      `give one tag per ${source.at}: --tag a --tag b (providers split tags on spaces and commas)`,
    ]);
  }
  return value;
}

// RFC 1123 labels (underscores allowed: DNS has them), an IPv4 address, or an [IPv6] literal.
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;
const IPV6 = /^\[[0-9a-f:.]+\]$/i;

/** A host name with an optional port, as a purge by host names it: `www.example.com[:8080]`. */
export function checkHost(value: string, source: ValueSource): string {
  refuseControl(value, source);
  if (!isHostPort(value)) {
    refuse(
      source,
      value,
      /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? 'is a URL, not a host' : 'is not a host[:port]',
      ['give a host name, with an optional port: www.example.com or localhost:8080'],
    );
  }
  return value;
}

/** `host`, `host:port`, `1.2.3.4:80`, `[::1]:8080`. Pure. */
export function isHostPort(value: string): boolean {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(value);
  if (match === null) return false;
  const host = match[1] ?? '';
  const port = match[2];
  const labels = host.split('.');
  const named = host.length <= 253 && labels.every((label) => LABEL.test(label));
  return (
    (IPV6.test(host) || named) &&
    (port === undefined || (Number(port) >= 1 && Number(port) <= 65535))
  );
}

/**
 * What can be told of a URL without a base: an absolute one (`scheme:` or `//host`) is
 * http(s), parses, and holds no user info. A path is resolved (and checked) later.
 */
export function checkUrlSyntax(value: string, source: ValueSource): void {
  refuseControl(value, source);
  if (!/^([a-z][a-z0-9+.-]*:|\/\/)/i.test(value)) return;
  let url: URL | undefined;
  try {
    url = new URL(value.startsWith('//') ? `http:${value}` : value);
  } catch {}
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    refuse(source, value, 'is not an http(s) URL', ['give https://host/path or /path']);
  }
  if (url.username !== '' || url.password !== '') {
    // Never sent anywhere a purge goes, and never printed: `shown` hides it as ***.
    refuse(source, value, 'holds a user name or password', [
      'give the URL without user info: https://host/path',
    ]);
  }
}

/** A prefix is a path: no query, no fragment, no whitespace, for every provider. */
export function checkPrefixPath(value: string, source: ValueSource): void {
  refuseControl(value, source);
  const bad = /[?#]/.exec(value)?.[0] ?? (/\s/u.test(value) ? 'whitespace' : undefined);
  if (bad !== undefined) {
    refuse(source, value, bad === 'whitespace' ? 'holds whitespace' : `holds "${bad}"`, [
      "a prefix is a path: give /path/ (on baseUrl's host) or host.name/path/, without a query or a fragment",
    ]);
  }
}

/** The value as an error may show it: control characters escaped, user info hidden. */
export function shown(value: string): string {
  return printable(value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@'));
}

function refuse(source: ValueSource, value: string, why: string, hints: string[]): never {
  throw new InputError('E_USAGE', `${source.name} "${shown(value)}" ${why}`, {
    at: source.at,
    hint: hints.join('; '),
  });
}
