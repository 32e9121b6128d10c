import type { FastBuffer } from './json-cursor.ts';
import { decimalValue } from './json-number.ts';
import { FNV_OFFSET, FNV_PRIME } from './type-interner.ts';

// The bytes write-manifest-stream.ts (and serializeManifest) writes around an entry's values.
const KEY_OPEN = Buffer.from('\n    "');
const MTIME_OPEN = Buffer.from('": {\n      "mtimeMs": ');
const SHA_OPEN = Buffer.from(',\n      "sha256": "');
const SIZE_OPEN = Buffer.from('",\n      "size": ');
const TYPE_OPEN = Buffer.from(',\n      "type": "');
const CLOSE = Buffer.from('"\n    }');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const DOT = 0x2e;
const ZERO = 0x30;
// Integers of up to 15 digits, and 10^0 … 10^15, are exact doubles.
const MAX_DIGITS = 15;
const POWERS_OF_TEN = Array.from({ length: MAX_DIGITS + 1 }, (_, k) => Number(`1e${k}`));

// Two hex digits (lower case only, as the manifest format says) as one 16-bit index → their
// byte, -1 for anything else: one load per byte of the hash instead of two.
const HEX_PAIR = new Int16Array(1 << 16).fill(-1);
{
  const digits = '0123456789abcdef';
  for (let high = 0; high < 16; high++) {
    for (let low = 0; low < 16; low++) {
      HEX_PAIR[(digits.charCodeAt(high) << 8) | digits.charCodeAt(low)] = (high << 4) | low;
    }
  }
}

// Bytes a string may hold as they are: not a quote, a backslash (an escape) or a control
// character.
const PLAIN_STRING_BYTE = new Uint8Array(256).fill(1, 0x20);
PLAIN_STRING_BYTE[QUOTE] = 0;
PLAIN_STRING_BYTE[BACKSLASH] = 0;

/** One entry as `readCanonicalEntry` found it; reused from entry to entry. */
export class CanonicalEntry {
  /** The key's bytes, without escapes; `keyAscii` when all are below 0x80. */
  keyStart = 0;
  keyEnd = 0;
  keyAscii = true;
  mtimeMs = 0;
  size = 0;
  readonly sha256 = new Uint8Array(32);
  /** The type's bytes (no escapes) and their FNV-1a hash, for `TypeInterner.idOfBytes`. */
  typeStart = 0;
  typeEnd = 0;
  typeHash = 0;
}

/**
 * The `files` entry at `from` when it is laid out exactly as edgepurge writes it — `,` (unless
 * `first`), a newline, the indentation, a key without escapes, then the four fields in
 * order, with plain numbers (a size of digits only, an mtime of up to 15 + 15 digits) and a
 * hash of 64 lower-case hex digits — read into `out` in one pass; returns the index after its
 * `}`. Anything else, or the end of the window, gives -1 and leaves the entry to the general
 * reader, which checks it, refuses it or waits for more: this path accepts only what that one
 * accepts, with the same values, so it adds no rule of its own.
 */
export function readCanonicalEntry(
  bytes: FastBuffer,
  from: number,
  end: number,
  first: boolean,
  out: CanonicalEntry,
): number {
  let i = from;
  if (!first) {
    if (i >= end || bytes[i] !== COMMA) return -1;
    i++;
  }
  i = literal(bytes, i, end, KEY_OPEN);
  if (i < 0) return -1;
  const keyStart = i;
  let high = 0;
  for (;;) {
    if (i >= end) return -1;
    const c = bytes[i] as number;
    if (PLAIN_STRING_BYTE[c] === 0) break;
    high |= c;
    i++;
  }
  if (bytes[i] !== QUOTE) return -1;
  out.keyAscii = high < 0x80;
  out.keyStart = keyStart;
  out.keyEnd = i;
  i = literal(bytes, i, end, MTIME_OPEN);
  if (i < 0) return -1;
  i = plainNumber(bytes, i, end, out, false);
  if (i < 0) return -1;
  i = literal(bytes, i, end, SHA_OPEN);
  if (i < 0 || i + 64 > end) return -1;
  const sha = out.sha256;
  for (let k = 0; k < 32; k++, i += 2) {
    const value = HEX_PAIR[((bytes[i] as number) << 8) | (bytes[i + 1] as number)] as number;
    if (value < 0) return -1;
    sha[k] = value;
  }
  i = literal(bytes, i, end, SIZE_OPEN);
  if (i < 0) return -1;
  i = plainNumber(bytes, i, end, out, true);
  if (i < 0) return -1;
  i = literal(bytes, i, end, TYPE_OPEN);
  if (i < 0) return -1;
  const typeStart = i;
  let hash = FNV_OFFSET;
  for (;;) {
    if (i >= end) return -1;
    const c = bytes[i] as number;
    if (PLAIN_STRING_BYTE[c] === 0) break;
    hash = Math.imul(hash ^ c, FNV_PRIME);
    i++;
  }
  if (bytes[i] !== QUOTE) return -1;
  out.typeStart = typeStart;
  out.typeEnd = i;
  out.typeHash = hash;
  return literal(bytes, i, end, CLOSE);
}

/** The index after `expected` when the bytes at `i` are it, else -1. */
function literal(bytes: Uint8Array, i: number, end: number, expected: Uint8Array): number {
  const length = expected.length;
  if (i + length > end) return -1;
  for (let k = 0; k < length; k++) if (bytes[i + k] !== expected[k]) return -1;
  return i + length;
}

/**
 * A non-negative number without exponent at `at` (an integer when `isSize`), into `out.size` or
 * `out.mtimeMs`, valued as `decimalValue` values it: the same operations on the same exact
 * integers. -1 for anything else (a sign, an exponent, more digits, a leading zero or a lone
 * point is then the general reader's).
 */
function plainNumber(
  bytes: FastBuffer,
  at: number,
  end: number,
  out: CanonicalEntry,
  isSize: boolean,
): number {
  let i = at;
  let whole = 0;
  // A leading zero stands alone: "01" is left to the general reader, which refuses it.
  if (i < end && bytes[i] === ZERO) i++;
  else {
    while (i < end) {
      const digit = (bytes[i] as number) - ZERO;
      if (digit < 0 || digit > 9) break;
      whole = whole * 10 + digit;
      i++;
    }
  }
  const integerEnd = i;
  const wholeDigits = integerEnd - at;
  if (wholeDigits === 0 || wholeDigits > MAX_DIGITS || i >= end) return -1;
  if (bytes[i] !== DOT) {
    if (isSize) out.size = whole;
    else out.mtimeMs = whole;
    return i;
  }
  if (isSize) return -1;
  i++;
  let fraction = 0;
  while (i < end) {
    const digit = (bytes[i] as number) - ZERO;
    if (digit < 0 || digit > 9) break;
    fraction = fraction * 10 + digit;
    i++;
  }
  const fractionDigits = i - integerEnd - 1;
  if (fractionDigits === 0 || fractionDigits > MAX_DIGITS || i >= end) return -1;
  const scale = POWERS_OF_TEN[fractionDigits] as number;
  const digits = wholeDigits + fractionDigits;
  let value: number;
  if (digits <= MAX_DIGITS) value = (whole * scale + fraction) / scale;
  else if (digits > 16 && 2 * scale <= whole) value = whole + fraction / scale;
  else value = decimalValue(bytes, at, integerEnd, i);
  out.mtimeMs = value;
  return i;
}
