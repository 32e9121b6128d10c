import { InputError } from '../errors.ts';
import { decimalValue } from './json-number.ts';

/**
 * Thrown when the window ends inside the unit being read and more input is coming: the reader
 * then waits for the next chunk and reads the unit again from its start. One object, made once,
 * so throwing it costs no stack trace.
 */
export const NEED_MORE = new Error('more input is needed');

/** What `value` read last. */
export const NUMBER = 0;
export const STRING = 1;
export const OBJECT = 2;
export const OTHER = 3;

/** Deeper than any manifest value (3 levels): a crafted file cannot make the reader recurse. */
export const MAX_DEPTH = 32;

/** Longer than any number JSON.stringify writes (24 characters at most). */
const MAX_NUMBER_CHARS = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

// After a backslash: " \ / b f n r t, or u and four hex digits.
const ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);
const HEX_DIGIT = /^[0-9a-fA-F]{4}$/;
const LITERALS: Record<number, Uint8Array> = {
  116: Buffer.from('true'),
  102: Buffer.from('false'),
  110: Buffer.from('null'),
};

/**
 * JSON text as UTF-8 bytes, read in a window that ends where the input read so far ends. Each
 * method takes the index to start at and returns the index after what it read; at the end of
 * the window it throws NEED_MORE, or, once the input is `final`, a syntax error (exit 2). The
 * syntax is checked as strictly as `JSON.parse` does, without building values the reader skips.
 */
export class JsonCursor {
  bytes: FastBuffer = Buffer.alloc(0) as FastBuffer;
  end = 0;
  final = false;
  /** Where `bytes[0]` is in the whole input, for error messages. */
  base = 0;
  /** The last string read: its content's bounds, and whether it holds an escape. */
  stringStart = 0;
  stringEnd = 0;
  escaped = false;
  /** The last value read: its kind (NUMBER, STRING, OBJECT, OTHER) and, for a number, its value. */
  kind = OTHER;
  number = 0;
  /** Whether the last `separator` closed its object or array (rather than read a comma). */
  closed = false;
  readonly #source: string;

  constructor(source: string) {
    this.#source = source;
  }

  /** Appends `chunk`, dropping what lies before `keepFrom`; returns how far indices moved. */
  append(chunk: Uint8Array, keepFrom: number): number {
    const kept = this.end - keepFrom;
    const needed = kept + chunk.length;
    if (needed > this.bytes.length) {
      const next = Buffer.allocUnsafe(
        Math.max(needed, this.bytes.length * 2, 1 << 16),
      ) as FastBuffer;
      this.bytes.copy(next, 0, keepFrom, this.end);
      this.bytes = next;
    } else {
      this.bytes.copyWithin(0, keepFrom, this.end);
    }
    this.bytes.set(chunk, kept);
    this.base += keepFrom;
    this.end = needed;
    return keepFrom;
  }

  /** The byte at `i`; -1 at the end of the input. */
  byte(i: number): number {
    if (i < this.end) return this.bytes[i] as number;
    if (this.final) return -1;
    throw NEED_MORE;
  }

  /** The index of the next byte that is not JSON whitespace (the input's end if none is). */
  skipSpace(from: number): number {
    const i = this.blank(from);
    if (i < this.end || this.final) return i;
    throw NEED_MORE;
  }

  /** As `skipSpace`, but the end of the window is an answer, not a reason to wait. */
  blank(from: number): number {
    const { bytes, end } = this;
    let i = from;
    while (i < end) {
      const c = bytes[i] as number;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
      i++;
    }
    return i;
  }

  /** Reads `byte` (after whitespace) or fails naming `what` was expected. */
  expect(from: number, byte: number, what: string): number {
    const i = this.skipSpace(from);
    if (this.byte(i) !== byte) this.unexpected(i, what);
    return i + 1;
  }

  /** Reads the string that opens at `i` (a quote); its bounds go to `stringStart`/`stringEnd`. */
  string(i: number): number {
    const { bytes, end } = this;
    let j = i + 1;
    let escaped = false;
    for (;;) {
      if (j >= end) {
        if (this.final) this.unexpected(j, 'the rest of a string');
        throw NEED_MORE;
      }
      const c = bytes[j] as number;
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        escaped = true;
        j = this.#escape(j);
      } else if (c < 0x20) {
        this.syntax(j, 'a control character inside a string');
      } else {
        j++;
      }
    }
    this.stringStart = i + 1;
    this.stringEnd = j;
    this.escaped = escaped;
    return j + 1;
  }

  /** The last string read, decoded (invalid UTF-8 becomes U+FFFD, as `readFile` does). */
  decodeString(): string {
    const bytes = this.bytes;
    if (!this.escaped) return bytes.utf8Slice(this.stringStart, this.stringEnd);
    return JSON.parse(bytes.utf8Slice(this.stringStart - 1, this.stringEnd + 1));
  }

  /** Whether the last string read is exactly `name` (written without escapes). */
  stringIs(name: Uint8Array): boolean {
    const length = this.stringEnd - this.stringStart;
    if (this.escaped || length !== name.length) return false;
    for (let k = 0; k < length; k++) {
      if (this.bytes[this.stringStart + k] !== name[k]) return false;
    }
    return true;
  }

  /**
   * Reads any JSON value at `from` (after whitespace), checking its syntax; sets `kind`, and
   * `number` or the string's bounds. Objects and arrays are skipped, not built.
   */
  value(from: number, depth: number): number {
    const i = this.skipSpace(from);
    const c = this.byte(i);
    if (c === QUOTE) {
      const next = this.string(i);
      this.kind = STRING;
      return next;
    }
    if (c === MINUS || (c >= ZERO && c <= NINE)) return this.#number(i);
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth >= MAX_DEPTH) this.syntax(i, `a value nested deeper than ${MAX_DEPTH} levels`);
      const next = c === OPEN_OBJECT ? this.#object(i, depth) : this.#array(i, depth);
      this.kind = c === OPEN_OBJECT ? OBJECT : OTHER;
      return next;
    }
    const literal = LITERALS[c];
    if (literal === undefined) return this.unexpected(i, 'a value');
    for (let k = 0; k < literal.length; k++) {
      if (this.byte(i + k) !== literal[k]) this.unexpected(i + k, 'a value');
    }
    this.kind = OTHER;
    return i + literal.length;
  }

  /** After a member or element: the index after `,` or after `close` (then `closed` is set). */
  separator(from: number, close: number): number {
    const i = this.skipSpace(from);
    const c = this.byte(i);
    this.closed = c === close;
    if (c === COMMA || c === close) return i + 1;
    return this.unexpected(i, close === CLOSE_OBJECT ? "',' or '}'" : "',' or ']'");
  }

  /** Refuses the input at `i`: the end of the input, or a byte that cannot be there. */
  unexpected(i: number, what: string): never {
    if (i >= this.end) return this.syntax(i, `it ends early, where ${what} should be (truncated?)`);
    const c = this.bytes[i] as number;
    const found =
      c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16)}`;
    return this.syntax(i, `expected ${what}, found ${found}`);
  }

  /** A syntax error at `i`, naming the file and the byte offset. */
  syntax(i: number, what: string): never {
    throw new InputError(
      'E_MANIFEST',
      `${this.#source} is not valid JSON: ${what} (at byte ${this.base + i})`,
      { at: this.#source, hint: 'pass a manifest written by `edgepurge manifest`' },
    );
  }

  #escape(j: number): number {
    const next = this.byte(j + 1);
    if (next === 0x75) {
      for (let k = 2; k < 6; k++) this.byte(j + k);
      if (!HEX_DIGIT.test(this.bytes.toString('latin1', j + 2, j + 6))) {
        this.syntax(j, 'a \\u escape without four hex digits');
      }
      return j + 6;
    }
    if (next === -1) this.unexpected(j + 1, 'the rest of a string');
    if (!ESCAPES.has(next)) this.syntax(j, 'an unknown escape in a string');
    return j + 2;
  }

  #number(i: number): number {
    let j = i;
    if (this.byte(j) === MINUS) j++;
    const first = this.byte(j);
    if (first === ZERO) j++;
    else if (first >= ZERO && first <= NINE) j = this.#digits(j);
    else this.unexpected(j, 'a digit');
    const integerEnd = j;
    if (this.byte(j) === DOT) {
      if (!isDigit(this.byte(j + 1))) this.unexpected(j + 1, 'a digit');
      j = this.#digits(j + 1);
    }
    const fractionEnd = j;
    const e = this.byte(j);
    if (e === 0x65 || e === 0x45) {
      j++;
      const sign = this.byte(j);
      if (sign === PLUS || sign === MINUS) j++;
      if (!isDigit(this.byte(j))) this.unexpected(j, 'a digit');
      j = this.#digits(j);
    }
    if (j - i > MAX_NUMBER_CHARS) {
      this.syntax(i, `a number of more than ${MAX_NUMBER_CHARS} characters`);
    }
    this.kind = NUMBER;
    this.number =
      fractionEnd === j
        ? decimalValue(this.bytes, i, integerEnd, fractionEnd)
        : Number(this.bytes.latin1Slice(i, j));
    return j;
  }

  #digits(from: number): number {
    let j = from;
    while (isDigit(this.byte(j))) {
      j++;
      if (j - from > MAX_NUMBER_CHARS) {
        this.syntax(from, `a number of more than ${MAX_NUMBER_CHARS} characters`);
      }
    }
    return j;
  }

  #object(i: number, depth: number): number {
    let j = this.skipSpace(i + 1);
    if (this.byte(j) === CLOSE_OBJECT) return j + 1;
    do {
      j = this.skipSpace(j);
      if (this.byte(j) !== QUOTE) this.unexpected(j, 'a key (a string)');
      j = this.expect(this.string(j), COLON, "':'");
      j = this.separator(this.value(j, depth + 1), CLOSE_OBJECT);
    } while (!this.closed);
    return j;
  }

  #array(i: number, depth: number): number {
    let j = this.skipSpace(i + 1);
    if (this.byte(j) === CLOSE_ARRAY) return j + 1;
    do j = this.separator(this.value(j, depth + 1), CLOSE_ARRAY);
    while (!this.closed);
    return j;
  }
}

/**
 * Buffer's own decoders, which `toString(encoding, start, end)` calls after checking its
 * arguments (node lib/buffer.js): called directly, a million short strings cost a third less.
 * Undocumented, but on Buffer.prototype in every Node release.
 */
export type FastBuffer = Buffer & {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
};

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

export { CLOSE_OBJECT, COLON, OPEN_OBJECT, QUOTE };
