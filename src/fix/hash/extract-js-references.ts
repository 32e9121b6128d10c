// The asm.js build: synchronous, no WebAssembly to compile first. The WASM build needs
// `await init()` at module top, and top-level await in a module the single-file Action bundle
// initialises lazily left deploy's promise unsettled (the action exited with code 13).
import { parse } from 'es-module-lexer/js';
import { extractSourceMapReference } from './extract-source-map-reference.ts';
import type { Reference } from './reference.ts';
import { scanJsCalls } from './scan-js-calls.ts';

/** Module syntax references: static `import`, `export … from`, `import('literal')`. */
function moduleReferences(code: string): Reference[] {
  let imports: ReturnType<typeof parse>[0];
  try {
    [imports] = parse(code);
  } catch {
    // Not parseable as a module (a classic script with odd syntax): no import syntax to rewrite.
    return [];
  }
  const refs: Reference[] = [];
  for (const entry of imports) {
    if (entry.type === 'import-meta' || typeof entry.specifier !== 'string') continue;
    // `lit`, `@scope/x`: resolved by an import map or a bundler, not a file path here.
    if (isBareSpecifier(entry.specifier)) continue;
    if (entry.type === 'dynamic') {
      // The range holds the quotes; a template literal with `${}` has no static specifier.
      const quote = code[entry.start];
      if (quote !== '"' && quote !== "'" && quote !== '`') continue;
      const start = entry.start + 1;
      const end = entry.end - 1;
      if (code.slice(start, end) !== entry.specifier) continue;
      refs.push({ start, end, value: entry.specifier, kind: 'js-dynamic-import' });
    } else {
      if (code.slice(entry.start, entry.end) !== entry.specifier) continue;
      refs.push({ start: entry.start, end: entry.end, value: entry.specifier, kind: 'js-import' });
    }
  }
  return refs;
}

/**
 * Every reference in a JavaScript file: module syntax (es-module-lexer), `new URL(…,
 * import.meta.url)`, `importScripts`, service worker registrations (a tokenizer-aware scan
 * that skips strings and comments) and the `sourceMappingURL` comment. Bare specifiers
 * (`lit`, `@scope/x`) are left alone: an import map (rewritten in the HTML) maps them.
 */
export function extractJsReferences(code: string, options: { module?: boolean } = {}): Reference[] {
  const refs = options.module === false ? [] : moduleReferences(code);
  refs.push(...scanJsCalls(code));
  const map = extractSourceMapReference(code, 'js');
  if (map !== undefined) refs.push(map);
  const seen = new Set<number>();
  return refs
    .filter((ref) => !seen.has(ref.start) && seen.add(ref.start) !== undefined)
    .sort((a, b) => a.start - b.start);
}

/** True for a bare module specifier (`lit`, `@scope/pkg/x.js`), which is not a URL. */
export function isBareSpecifier(value: string): boolean {
  return !/^(\.{0,2}\/|[A-Za-z][A-Za-z0-9+.-]*:)/.test(value);
}
