import type { Reference, ReferenceKind } from './reference.ts';

interface JsonString {
  readonly start: number;
  readonly end: number;
  readonly value: string;
  /** The property names from the root to this string (array items add no name). */
  readonly keys: readonly string[];
  readonly isKey: boolean;
}

/** Every string token of a JSON document, with its position and the keys above it. */
function jsonStrings(text: string): JsonString[] {
  const out: JsonString[] = [];
  const stack: { kind: '{' | '['; key: string | undefined; expectKey: boolean }[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const raw = text.slice(i + 1, j);
      const top = stack.at(-1);
      const isKey = top?.kind === '{' && top.expectKey;
      let value = raw;
      if (raw.includes('\\')) value = JSON.parse(`"${raw}"`) as string;
      const keys = stack.map((s) => s.key).filter((k): k is string => k !== undefined);
      out.push({ start: i + 1, end: j, value, keys, isKey });
      if (isKey && top !== undefined) {
        top.key = value;
        top.expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === '{' || c === '[') stack.push({ kind: c, key: undefined, expectKey: c === '{' });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') {
      const top = stack.at(-1);
      if (top?.kind === '{') {
        top.expectKey = true;
        top.key = undefined;
      }
    }
    i += 1;
  }
  return out;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

// A specifier key that names a URL, not a bare name: the browser matches it against the resolved
// URL of an import (https://html.spec.whatwg.org/multipage/webappapis.html#resolving-a-url-like-module-specifier),
// so it must follow its file's rename. A key ending in "/" is a prefix, not a file.
const URL_LIKE_KEY = /^(\/|\.\.?\/|[A-Za-z][A-Za-z0-9+.-]*:)(?!.*\/$)/;

/**
 * The URLs of an import map (`<script type="importmap">`): every value under `imports` and
 * `scopes`, and the keys there that are URL-like (`./js/a.js`, `/js/a.js`, not bare specifiers
 * such as `lit` nor prefixes ending in `/`). A map that is not valid JSON yields nothing.
 *
 * The keys of `integrity` are URLs too: the browser resolves each as a URL-like specifier and
 * checks the module fetched from that URL against the value
 * (https://html.spec.whatwg.org/multipage/webappapis.html#normalizing-a-module-integrity-map,
 * #resolving-a-module-integrity-metadata). Each is a reference that carries its string value
 * as its `integrity`, so the key follows the rename and the value is recomputed for the final
 * bytes, as an `integrity=` attribute is. A bare key (which the browser ignores) is left alone.
 */
export function extractImportMapReferences(text: string): Reference[] {
  if (!parses(text)) return [];
  const strings = jsonStrings(text);
  const refs: Reference[] = [];
  for (const [k, s] of strings.entries()) {
    if (s.keys[0] === 'imports' || s.keys[0] === 'scopes') {
      if (!s.isKey || URL_LIKE_KEY.test(s.value)) refs.push(toReference(s, 'import-map'));
    } else if (s.keys.length === 1 && s.keys[0] === 'integrity' && s.isKey) {
      if (!URL_LIKE_KEY.test(s.value)) continue;
      const value = strings[k + 1];
      // Its value: the next string, when nothing but the colon stands between them.
      const isValue =
        value !== undefined && !value.isKey && /^"\s*:\s*"$/.test(text.slice(s.end, value.start));
      refs.push({
        ...toReference(s, 'import-map'),
        ...(isValue
          ? { integrity: { start: value.start, end: value.end, value: value.value } }
          : {}),
      });
    }
  }
  return refs;
}

/** The files a web app manifest names: `icons[].src`, `screenshots[].src`, `shortcuts[].icons`. */
export function extractManifestReferences(text: string): Reference[] {
  if (!parses(text)) return [];
  return jsonStrings(text)
    .filter((s) => !s.isKey && s.keys.at(-1) === 'src')
    .map((s) => toReference(s, 'manifest'));
}

function toReference(s: JsonString, kind: ReferenceKind): Reference {
  return { start: s.start, end: s.end, value: s.value, kind };
}
