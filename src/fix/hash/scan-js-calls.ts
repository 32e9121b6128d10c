import type { Reference } from './reference.ts';

/** A string literal argument found by the scanner: its text and offsets without the quotes. */
interface StringArg {
  readonly start: number;
  readonly end: number;
  readonly value: string;
}

// Characters after which a `/` starts a regular expression literal rather than a division.
const REGEX_BEFORE = new Set([...'(,=:[!&|?{};+-*%<>~^']);

/**
 * Walks JavaScript source the way a tokenizer does — skipping comments, string literals,
 * template literals and regular expression literals — and calls `visit` at each position that
 * is code. A `new URL(` inside a string or a comment is therefore never seen.
 */
function walkCode(code: string, visit: (index: number) => void): void {
  let i = 0;
  let last = '';
  while (i < code.length) {
    const c = code[i] as string;
    const next = code[i + 1];
    if (c === '/' && next === '/') {
      const end = code.indexOf('\n', i);
      i = end < 0 ? code.length : end;
    } else if (c === '/' && next === '*') {
      const end = code.indexOf('*/', i + 2);
      i = end < 0 ? code.length : end + 2;
    } else if (c === '"' || c === "'" || c === '`') {
      i = skipString(code, i);
      last = c;
    } else if (c === '/' && (last === '' || REGEX_BEFORE.has(last))) {
      i = skipRegex(code, i);
      last = '/';
    } else {
      if (!/\s/.test(c)) {
        visit(i);
        last = c;
      }
      i += 1;
    }
  }
}

function skipString(code: string, start: number): number {
  const quote = code[start];
  let i = start + 1;
  while (i < code.length && code[i] !== quote) {
    if (code[i] === '\\') i += 1;
    else if (quote === '`' && code[i] === '$' && code[i + 1] === '{') {
      let depth = 1;
      i += 2;
      while (i < code.length && depth > 0) {
        if (code[i] === '{') depth += 1;
        else if (code[i] === '}') depth -= 1;
        else if (code[i] === '"' || code[i] === "'" || code[i] === '`') i = skipString(code, i) - 1;
        i += 1;
      }
      continue;
    }
    i += 1;
  }
  return i + 1;
}

function skipRegex(code: string, start: number): number {
  let i = start + 1;
  let inClass = false;
  while (i < code.length && code[i] !== '\n') {
    const c = code[i];
    if (c === '\\') i += 1;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) return i + 1;
    i += 1;
  }
  return i;
}

/** A plain string literal (no `${}`) at `index` after optional whitespace. */
function stringAt(code: string, index: number): StringArg | undefined {
  const match = /^\s*(['"`])/.exec(code.slice(index, index + 64));
  if (match === null) return undefined;
  const open = index + match[0].length - 1;
  const close = skipString(code, open) - 1;
  const value = code.slice(open + 1, close);
  if (match[1] === '`' && value.includes('${')) return undefined;
  if (value.includes('\\')) return undefined;
  return { start: open + 1, end: close, value };
}

const CALLS: readonly [RegExp, Reference['kind']][] = [
  [/^new\s+URL\s*\(/, 'js-new-url'],
  [/^importScripts\s*\(/, 'js-import-scripts'],
  [/^navigator\s*\.\s*serviceWorker\s*\.\s*register\s*\(/, 'service-worker'],
];

/**
 * References in calls that are not import syntax: `new URL('./x', import.meta.url)` (only with
 * `import.meta.url` as the base, as bundlers require), `importScripts('a.js', 'b.js')` and
 * `navigator.serviceWorker.register('/sw.js')` (whose target must keep its name).
 */
export function scanJsCalls(code: string): Reference[] {
  const refs: Reference[] = [];
  walkCode(code, (index) => {
    const c = code[index];
    if (c !== 'n' && c !== 'i') return;
    if (index > 0 && /[\w$.]/.test(code[index - 1] as string)) return;
    for (const [pattern, kind] of CALLS) {
      const match = pattern.exec(code.slice(index, index + 80));
      if (match === null) continue;
      let at = index + match[0].length;
      for (;;) {
        const arg = stringAt(code, at);
        if (arg === undefined) break;
        const after = /^\s*(,|\))/.exec(code.slice(arg.end + 1, arg.end + 40));
        if (
          kind === 'js-new-url' &&
          !/^\s*,\s*import\s*\.\s*meta\s*\.\s*url\b/.test(code.slice(arg.end + 1, arg.end + 60))
        ) {
          break;
        }
        refs.push({ ...arg, kind, ...(kind === 'service-worker' ? { keepName: true } : {}) });
        if (kind !== 'js-import-scripts' || after?.[1] !== ',') break;
        at = arg.end + 1 + after[0].length;
      }
    }
  });
  return refs;
}
