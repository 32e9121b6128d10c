import type { Reference } from './reference.ts';

// The comment must be the last thing in the file (ignoring trailing whitespace), per the
// Source Map spec ("//# sourceMappingURL=" for JS, "/*# sourceMappingURL= */" for CSS).
const JS_COMMENT = /\/\/[#@][ \t]*sourceMappingURL=([^\s'"]+)[ \t]*\s*$/;
const CSS_COMMENT = /\/\*[#@][ \t]*sourceMappingURL=([^\s*'"]+)[ \t]*\*\/\s*$/;

/** The `sourceMappingURL` comment at the end of a JS or CSS file, if there is one. */
export function extractSourceMapReference(text: string, kind: 'js' | 'css'): Reference | undefined {
  // Only the tail is searched: a huge file costs nothing more than its last few hundred bytes.
  const tailStart = Math.max(0, text.length - 4096);
  const match = (kind === 'js' ? JS_COMMENT : CSS_COMMENT).exec(text.slice(tailStart));
  const url = match?.[1];
  if (match === null || url === undefined) return undefined;
  const start = tailStart + match.index + match[0].indexOf(url, match[0].indexOf('='));
  return { start, end: start + url.length, value: url, kind: 'source-map' };
}
