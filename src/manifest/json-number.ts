import type { FastBuffer } from './json-cursor.ts';

const MINUS = 0x2d;
const ZERO = 0x30;
// Integers up to here are exact doubles, and each step of summing their digits is too.
const MAX_EXACT = 2 ** 53;
// Exact doubles: 10^0 … 10^22.
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * The value of the number without exponent at `i` (integer part ending at `integerEnd`),
 * exactly as `Number()` reads it, mostly without making a string:
 * - digits that, read as one integer, stay within 2^53: that integer and a power of ten up
 *   to 1e22 are exact doubles, so one division is correctly rounded (Clinger's fast path);
 * - else (a 17-digit mtime such as 1732000000007.0078) an integer part W and a fraction F of
 *   k digits, each exact, with 2·10^k ≤ W: `W + F / 10^k` is correctly rounded too. F / 10^k
 *   is off by under 2^-54; the sum is rounded at a multiple of 2^-e with 2^(53-e) ≤ W, and
 *   the exact value, a multiple of 10^-k, lies on such a midpoint or at least
 *   1 / (10^k · 2^e) > 2^-53 from one, so both round alike (on a midpoint F / 10^k is exact);
 * - anything else through `Number()`.
 */
export function decimalValue(
  bytes: FastBuffer,
  i: number,
  integerEnd: number,
  end: number,
): number {
  const negative = bytes[i] === MINUS;
  const start = negative ? i + 1 : i;
  const fractionDigits = end > integerEnd ? end - integerEnd - 1 : 0;
  let value = Number.NaN;
  if (integerEnd - start + fractionDigits <= 16) {
    const mantissa = digitsOf(bytes, start, end, integerEnd);
    if (mantissa <= MAX_EXACT) value = mantissa / (POWERS_OF_TEN[fractionDigits] as number);
  }
  if (Number.isNaN(value) && integerEnd - start <= 15 && fractionDigits <= 15) {
    const whole = digitsOf(bytes, start, integerEnd, integerEnd);
    const scale = POWERS_OF_TEN[fractionDigits] as number;
    if (2 * scale <= whole) value = whole + digitsOf(bytes, integerEnd + 1, end, -1) / scale;
  }
  if (Number.isNaN(value)) return Number(bytes.latin1Slice(i, end));
  return negative ? -value : value;
}

/** The decimal digits from `start` to `end` as one integer, skipping the byte at `skip`. */
function digitsOf(bytes: Uint8Array, start: number, end: number, skip: number): number {
  let value = 0;
  for (let k = start; k < end; k++) {
    if (k !== skip) value = value * 10 + ((bytes[k] as number) - ZERO);
  }
  return value;
}
