import { grown } from './grown.ts';
import type { FastBuffer } from './json-cursor.ts';

/**
 * A release's paths as UTF-8 in one buffer: entry `i` is bytes `[starts[i], starts[i + 1])`.
 * A path held as a V8 string costs its characters plus ~16 bytes of header and an 8-byte array
 * slot, all in the collected heap; here it costs its bytes and a 4-byte offset, outside it.
 * Strings are made only when a caller asks for one (`at`), so a diff or a merge of two
 * 1,000,000-file releases compares bytes and decodes only the paths it reports.
 *
 * Order: `compare` gives `comparePaths` order (UTF-16 code units), which is UTF-8 byte order
 * except between a character above U+FFFF (4 bytes, a surrogate pair in UTF-16) and one in
 * U+E000–U+FFFF (3 bytes led by 0xEE or 0xEF): byte order puts the former last, code units
 * first. Those are lead bytes (0xEE, 0xEF and 0xF0–0xF4 are never continuation bytes), so the
 * first differing byte tells the pair apart; where it is a continuation byte, both characters
 * have the same lead, hence the same length, and byte order is code unit order.
 */
export class PathTable implements Iterable<string> {
  readonly length: number;
  readonly #bytes: FastBuffer;
  readonly #starts: Uint32Array;
  /** Every path is ASCII: decoded with latin1Slice, a third faster than utf8Slice. */
  readonly #ascii: boolean;

  /** Use `PathTableBuilder`; `starts` has `length + 1` offsets into `bytes`. */
  constructor(bytes: Buffer, starts: Uint32Array, length: number, ascii: boolean) {
    this.#bytes = bytes as FastBuffer;
    this.#starts = starts;
    this.length = length;
    this.#ascii = ascii;
  }

  /** Path `index` as a string (made now; hold it only as long as it is needed). */
  at(index: number): string {
    const starts = this.#starts;
    const start = starts[index] as number;
    const end = starts[index + 1] as number;
    return this.#ascii ? this.#bytes.latin1Slice(start, end) : this.#bytes.utf8Slice(start, end);
  }

  /** The UTF-8 bytes of path `index`: a view into the table, not a copy. */
  bytesAt(index: number): Uint8Array {
    return this.#bytes.subarray(this.#starts[index] as number, this.#starts[index + 1] as number);
  }

  /** The length of path `index` in UTF-8 bytes. */
  byteLengthAt(index: number): number {
    return (this.#starts[index + 1] as number) - (this.#starts[index] as number);
  }

  /** Copies path `index`'s UTF-8 bytes into `target` at `at`; returns how many. */
  copyTo(index: number, target: Uint8Array, at: number): number {
    return this.#bytes.copy(target, at, this.#starts[index], this.#starts[index + 1]);
  }

  /** The length in bytes of path `index`'s folder: up to and with its last `/` (0 at the root). */
  folderLengthAt(index: number): number {
    const bytes = this.#bytes;
    const start = this.#starts[index] as number;
    for (let k = (this.#starts[index + 1] as number) - 1; k >= start; k--) {
      if (bytes[k] === 0x2f) return k - start + 1;
    }
    return 0;
  }

  /** Whether the first `length` bytes of path `i` and of `other`'s path `j` are the same. */
  samePrefix(i: number, other: PathTable, j: number, length: number): boolean {
    const x = this.#bytes;
    const y = other.#bytes;
    const from = this.#starts[i] as number;
    const to = other.#starts[j] as number;
    for (let k = 0; k < length; k++) if (x[from + k] !== y[to + k]) return false;
    return true;
  }

  /** The first `length` bytes of path `index` (a whole number of characters) as a string. */
  prefixAt(index: number, length: number): string {
    const start = this.#starts[index] as number;
    return this.#ascii
      ? this.#bytes.latin1Slice(start, start + length)
      : this.#bytes.utf8Slice(start, start + length);
  }

  /** Whether path `index` needs no JSON escape: no `"`, `\` or control character. */
  isPlain(index: number): boolean {
    const bytes = this.#bytes;
    const end = this.#starts[index + 1] as number;
    for (let k = this.#starts[index] as number; k < end; k++) {
      const c = bytes[k] as number;
      if (c < 0x20 || c === 0x22 || c === 0x5c) return false;
    }
    return true;
  }

  /** `comparePaths(this.at(i), other.at(j))` without making either string. */
  compare(i: number, other: PathTable, j: number): number {
    return compareUtf8(
      this.#bytes,
      this.#starts[i] as number,
      this.#starts[i + 1] as number,
      other.#bytes,
      other.#starts[j] as number,
      other.#starts[j + 1] as number,
    );
  }

  /** The index of `path`, or -1: a binary search over the sorted table. */
  find(path: string): number {
    // A lone surrogate would encode as U+FFFD and find another path: no path holds one.
    if (!path.isWellFormed()) return -1;
    const wanted = Buffer.from(path, 'utf8');
    let low = 0;
    let high = this.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const order = compareUtf8(
        this.#bytes,
        this.#starts[middle] as number,
        this.#starts[middle + 1] as number,
        wanted,
        0,
        wanted.length,
      );
      if (order === 0) return middle;
      if (order < 0) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  /** A table of the paths at `order` (indexes into this one), in that order. */
  reordered(order: ArrayLike<number>): PathTable {
    const builder = new PathTableBuilder(this.#starts[this.length] as number);
    for (let k = 0; k < order.length; k++) {
      const i = order[k] as number;
      builder.addUtf8(this.#bytes, this.#starts[i] as number, this.#starts[i + 1] as number);
    }
    return builder.finish();
  }

  *[Symbol.iterator](): Iterator<string> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  /**
   * The table's buffers, views and not copies: to hand it to another thread (transfer their
   * `.buffer`s) and rebuild it there with `new PathTable(bytes, starts, length, ascii)`.
   */
  get parts(): PathTableParts {
    return { bytes: this.#bytes, starts: this.#starts, length: this.length, ascii: this.#ascii };
  }
}

/** Collects paths into a `PathTable`, growing its buffers by doubling. */
export class PathTableBuilder {
  #bytes: FastBuffer;
  #starts: Uint32Array;
  #length = 0;
  #end = 0;
  #ascii = true;
  #finished = false;

  /** `initialBytes` and `initialPaths`: room to start with (see PackedFilesBuilder). */
  constructor(initialBytes = 16 * 1024, initialPaths = 1024) {
    // An ArrayBuffer of its own, never Buffer's shared pool: growth detaches it (`grown`).
    const bytes = Math.min(0xffff_ffff, Math.max(64, Math.ceil(initialBytes)));
    this.#bytes = Buffer.from(new ArrayBuffer(bytes)) as FastBuffer;
    this.#starts = new Uint32Array(Math.max(2, Math.ceil(initialPaths) + 1));
  }

  /** Appends `path` (well-formed: no lone surrogate, which UTF-8 cannot hold). */
  add(path: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    this.#reserve(path.length * 3);
    const written = this.#bytes.write(path, this.#end, 'utf8');
    // Fewer bytes than code units is impossible; more means some character is not ASCII.
    if (written !== path.length) {
      if (!path.isWellFormed()) throw new TypeError(`${JSON.stringify(path)} is not UTF-16 text`);
      this.#ascii = false;
    }
    this.#push(written);
  }

  /** Appends the path whose valid UTF-8 bytes are `bytes[start, end)`. */
  addUtf8(bytes: Uint8Array, start: number, end: number): void {
    const size = end - start;
    this.#reserve(size);
    const target = this.#bytes;
    const at = this.#end;
    let ascii = this.#ascii;
    for (let k = 0; k < size; k++) {
      const c = bytes[start + k] as number;
      if (c >= 0x80) ascii = false;
      target[at + k] = c;
    }
    this.#ascii = ascii;
    this.#push(size);
  }

  /** `comparePaths` of the last two paths added (0 when fewer than two). */
  compareLastTwo(): number {
    const n = this.#length;
    if (n < 2) return 0;
    const starts = this.#starts;
    const bytes = this.#bytes;
    return compareUtf8(
      bytes,
      starts[n - 2] as number,
      starts[n - 1] as number,
      bytes,
      starts[n - 1] as number,
      starts[n] as number,
    );
  }

  /** Path `index` of those added so far, as a string. */
  at(index: number): string {
    const start = this.#starts[index] as number;
    const end = this.#starts[index + 1] as number;
    return this.#ascii ? this.#bytes.latin1Slice(start, end) : this.#bytes.utf8Slice(start, end);
  }

  /**
   * The table. Its buffers are views of the builder's (a copy would double the peak for a
   * moment); the spare capacity is under half of what the paths take, and takes no resident
   * memory until written. Nothing may be added after: growing would detach the table's bytes.
   */
  finish(): PathTable {
    this.#finished = true;
    const starts = this.#starts.subarray(0, this.#length + 1);
    return new PathTable(this.#bytes.subarray(0, this.#end), starts, this.#length, this.#ascii);
  }

  #reserve(bytes: number): void {
    if (this.#finished) throw new Error('PathTableBuilder: add after finish');
    const needed = this.#end + bytes;
    if (needed > 0xffff_ffff) {
      throw new RangeError('the paths of one release exceed 4 GiB of UTF-8');
    }
    // Grown as PackedFilesBuilder grows its columns: the outgrown buffer is freed at once.
    if (needed > this.#bytes.length) {
      const size = Math.min(0xffff_ffff, Math.max(needed, 2 * this.#bytes.length));
      this.#bytes = Buffer.from(
        grown(this.#bytes as Uint8Array, new Uint8Array(size)).buffer,
      ) as FastBuffer;
    }
    if (this.#length + 2 > this.#starts.length) {
      this.#starts = grown(this.#starts, new Uint32Array(2 * this.#starts.length));
    }
  }

  #push(size: number): void {
    this.#end += size;
    this.#length++;
    this.#starts[this.#length] = this.#end;
  }
}

/** `comparePaths` order of two UTF-8 byte ranges (see PathTable). */
export function compareUtf8(
  x: Uint8Array,
  xStart: number,
  xEnd: number,
  y: Uint8Array,
  yStart: number,
  yEnd: number,
): number {
  const xLength = xEnd - xStart;
  const yLength = yEnd - yStart;
  const common = xLength < yLength ? xLength : yLength;
  for (let k = 0; k < common; k++) {
    const a = x[xStart + k] as number;
    const b = y[yStart + k] as number;
    if (a === b) continue;
    // Above U+FFFF (lead 0xF0–0xF4) sorts before U+E000–U+FFFF (0xEE, 0xEF) in code units.
    if (a >= 0xf0 && (b === 0xee || b === 0xef)) return -1;
    if (b >= 0xf0 && (a === 0xee || a === 0xef)) return 1;
    return a < b ? -1 : 1;
  }
  return xLength - yLength < 0 ? -1 : xLength === yLength ? 0 : 1;
}

/** What `PathTable.parts` gives: the constructor's arguments. */
export interface PathTableParts {
  readonly bytes: Uint8Array;
  readonly starts: Uint32Array;
  readonly length: number;
  readonly ascii: boolean;
}
