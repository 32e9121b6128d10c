const SLASH = 0x2f;
const DOT = 0x2e;
const COLON = 0x3a;

/**
 * `isSafeRelativePath` on a path still in its JSON bytes, written without escapes: checked
 * before it is decoded, at a fraction of the cost. Such bytes hold no backslash (it would start
 * an escape) and no NUL (a control character); invalid UTF-8 decodes to U+FFFD, never to `/`
 * or `.`, so the bytes' segments are the decoded path's.
 */
export function isSafePathBytes(bytes: Uint8Array, start: number, end: number): boolean {
  if (end === start || bytes[start] === SLASH) return false;
  // A drive letter (`C:`).
  const first = (bytes[start] as number) | 0x20;
  if (end - start >= 2 && first >= 0x61 && first <= 0x7a && bytes[start + 1] === COLON) {
    return false;
  }
  // No empty, `.` or `..` segment.
  let segment = start;
  for (let i = start; i <= end; i++) {
    if (i < end && bytes[i] !== SLASH) continue;
    const length = i - segment;
    if (length === 0) return false;
    if (bytes[segment] === DOT && (length === 1 || (length === 2 && bytes[segment + 1] === DOT))) {
      return false;
    }
    segment = i + 1;
  }
  return true;
}
