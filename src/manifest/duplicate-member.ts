/** A key listed twice: in the top-level object (`member` is `(top level)`) or in one of its maps. */
export interface DuplicateMember {
  readonly member: string;
  readonly key: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const TOP = '(top level)';

/**
 * Finds a key that JSON text lists twice, where `JSON.parse` silently keeps the last one: a
 * top-level key, or a key of a top-level map named in `parsed` (`files`, `validators`). `parsed`
 * holds how many keys each map has once parsed; the text is scanned once to count its keys, and
 * only when a count differs is it scanned again to name the key. `text` must be valid JSON (it
 * was parsed). Strings are skipped with `indexOf`, so the cost is about that of reading the
 * structure: a small fraction of `JSON.parse` of the same text.
 */
export function duplicateMemberOf(
  text: string,
  parsed: Readonly<Record<string, number>>,
): DuplicateMember | undefined {
  const counted = new Map<string, number>();
  const top = new Set<string>();
  let found: DuplicateMember | undefined;
  scanKeys(text, (member, key) => {
    if (member === undefined) {
      const name = key();
      if (top.has(name)) {
        found = { member: TOP, key: name };
        return false;
      }
      top.add(name);
    } else if (Object.hasOwn(parsed, member)) {
      counted.set(member, (counted.get(member) ?? 0) + 1);
    }
    return true;
  });
  if (found !== undefined) return found;
  for (const [member, count] of counted) {
    const duplicate = count === parsed[member] ? undefined : nameDuplicate(text, member);
    if (duplicate !== undefined) return duplicate;
  }
  return undefined;
}

/** The slow path: the first key of `member` seen twice. */
function nameDuplicate(text: string, wanted: string): DuplicateMember | undefined {
  const seen = new Set<string>();
  let found: DuplicateMember | undefined;
  scanKeys(text, (member, key) => {
    if (member !== wanted) return true;
    const name = key();
    if (seen.has(name)) {
      found = { member: wanted, key: name };
      return false;
    }
    seen.add(name);
    return true;
  });
  return found;
}

/**
 * Calls `visit` for each key of the top-level object (`member` undefined) and of each object
 * that is a top-level value (`member` is its key). `key()` decodes the key; `visit` returns
 * false to stop.
 */
function scanKeys(
  text: string,
  visit: (member: string | undefined, key: () => string) => boolean,
): void {
  let depth = 0;
  let member: string | undefined;
  let inObject = false;
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if ((depth === 1 || (depth === 2 && inObject)) && followedByColon(text, end + 1)) {
        const start = i;
        const key = () => JSON.parse(text.slice(start, end + 1)) as string;
        if (depth === 1) member = key();
        if (!visit(depth === 1 ? undefined : member, key)) return;
      }
      i = end + 1;
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      if (depth === 2) inObject = c === OPEN_OBJECT;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
    i++;
  }
}

/** The index of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

/** Whether the next character that is not JSON whitespace is `:` (the string was a key). */
function followedByColon(text: string, from: number): boolean {
  let i = from;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
    else return c === COLON;
  }
}
