import {
  CLOSE_OBJECT,
  COLON,
  type JsonCursor,
  NUMBER,
  OPEN_OBJECT,
  QUOTE,
  STRING,
} from './json-cursor.ts';

/**
 * One `files` entry's fields as read, before they are checked; reused from entry to entry, so
 * reading a million entries allocates nothing per entry here. NaN, -1 or false stands for
 * absent (or of the wrong JSON type: `parseManifest` refuses both alike).
 */
export class FileEntryFields {
  size = Number.NaN;
  mtimeMs = Number.NaN;
  /** The hash, decoded from its 64 hex digits; `hasSha` false when absent or not 64 hex digits. */
  readonly sha256 = new Uint8Array(32);
  hasSha = false;
  /** Where the type's string is in the cursor's bytes; `typeStart` -1 when absent. */
  typeStart = -1;
  typeEnd = -1;
  typeEscaped = false;

  reset(): void {
    this.size = Number.NaN;
    this.mtimeMs = Number.NaN;
    this.hasSha = false;
    this.typeStart = -1;
  }
}

// Hex digit → value, -1 for anything else: lower case only, as the manifest format says.
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX_VALUE[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX_VALUE[0x61 + i] = 10 + i;

const SIZE = 1;
const MTIME = 2;
const SHA = 3;
const TYPE = 4;
const FIELD_NAMES = ['', 'size', 'mtimeMs', 'sha256', 'type'];
const FIELD_BYTES = FIELD_NAMES.map((name) => Buffer.from(name));

/**
 * Reads the entry value at `at` (`{ "mtimeMs": …, "sha256": …, "size": …, "type": … }`, any
 * order, any whitespace, other members checked and skipped) into `fields`; returns the index
 * after it. A value that is not an object is read and leaves `fields` empty. As JSON.parse,
 * the last of two equal keys counts.
 */
export function readFileEntry(cursor: JsonCursor, at: number, fields: FileEntryFields): number {
  fields.reset();
  if (cursor.byte(at) !== OPEN_OBJECT) return cursor.value(at, 2);
  let i = cursor.skipSpace(at + 1);
  if (cursor.byte(i) === CLOSE_OBJECT) return i + 1;
  do {
    i = cursor.skipSpace(i);
    if (cursor.byte(i) !== QUOTE) cursor.unexpected(i, 'a key (a string)');
    const keyEnd = cursor.string(i);
    const field = fieldOf(cursor);
    const valueAt = cursor.skipSpace(cursor.expect(keyEnd, COLON, "':'"));
    if (field === SHA) i = readSha(cursor, valueAt, fields);
    else {
      i = cursor.value(valueAt, 3);
      const kind = cursor.kind;
      if (field === SIZE) fields.size = kind === NUMBER ? cursor.number : Number.NaN;
      else if (field === MTIME) fields.mtimeMs = kind === NUMBER ? cursor.number : Number.NaN;
      else if (field === TYPE) {
        fields.typeStart = kind === STRING ? cursor.stringStart : -1;
        fields.typeEnd = cursor.stringEnd;
        fields.typeEscaped = cursor.escaped;
      }
    }
    i = cursor.separator(i, CLOSE_OBJECT);
  } while (!cursor.closed);
  return i;
}

/**
 * The `sha256` value at `at`: 64 lower-case hex digits in quotes are decoded as they are
 * checked, in one pass; anything else is read as any value and leaves `hasSha` false, unless
 * it is a string with escapes that decodes to 64 hex digits (JSON.parse would accept it).
 */
function readSha(cursor: JsonCursor, at: number, fields: FileEntryFields): number {
  const bytes = cursor.bytes;
  fields.hasSha = false;
  // Both quotes inside the window (or a wait for more), then the digits between them.
  if (cursor.byte(at) === QUOTE && cursor.byte(at + 65) === QUOTE) {
    const out = fields.sha256;
    let k = 0;
    for (; k < 32; k++) {
      const high = HEX_VALUE[bytes[at + 1 + 2 * k] as number] as number;
      const low = HEX_VALUE[bytes[at + 2 + 2 * k] as number] as number;
      if ((high | low) < 0) break;
      out[k] = (high << 4) | low;
    }
    if (k === 32) {
      fields.hasSha = true;
      return at + 66;
    }
  }
  const end = cursor.value(at, 3);
  if (cursor.kind === STRING && cursor.escaped) {
    fields.hasSha = decodeHex(cursor.decodeString(), fields.sha256);
  }
  return end;
}

/** Decodes 64 lower-case hex digits into `out`; false when `hex` is anything else. */
export function decodeHex(hex: string, out: Uint8Array): boolean {
  if (hex.length !== 64) return false;
  for (let k = 0; k < 32; k++) {
    // Past 0xff the typed array has no element: undefined, so -1.
    const high = HEX_VALUE[hex.charCodeAt(2 * k)] ?? -1;
    const low = HEX_VALUE[hex.charCodeAt(2 * k + 1)] ?? -1;
    if ((high | low) < 0) return false;
    out[k] = (high << 4) | low;
  }
  return true;
}

/** Which field the key just read names (0: none), told apart by length and first byte. */
function fieldOf(cursor: JsonCursor): number {
  if (cursor.escaped) {
    // A key written with escapes (`"\u0073ize"`) is rare: decoded only then.
    const index = FIELD_NAMES.indexOf(cursor.decodeString());
    return index < 0 ? 0 : index;
  }
  const length = cursor.stringEnd - cursor.stringStart;
  const first = cursor.bytes[cursor.stringStart];
  const field =
    length === 4
      ? first === 0x73
        ? SIZE
        : first === 0x74
          ? TYPE
          : 0
      : length === 7
        ? MTIME
        : length === 6
          ? SHA
          : 0;
  return field !== 0 && cursor.stringIs(FIELD_BYTES[field] as Uint8Array) ? field : 0;
}
