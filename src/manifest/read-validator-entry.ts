import { CLOSE_OBJECT, COLON, type JsonCursor, OPEN_OBJECT, QUOTE, STRING } from './json-cursor.ts';
import type { RecordedValidators } from './manifest.ts';

const FIELDS = ['etag', 'lastModified'] as const;
const FIELD_BYTES = FIELDS.map((name) => Buffer.from(name));

/**
 * Reads the `validators` entry value at `at` (`{ "etag"?: string, "lastModified"?: string }`,
 * other members checked and skipped); returns the index after it, and the validators, or
 * undefined when the value is not such an object (`parseManifest` refuses it for version 2).
 */
export function readValidatorEntry(
  cursor: JsonCursor,
  at: number,
): { end: number; seen: RecordedValidators | undefined } {
  if (cursor.byte(at) !== OPEN_OBJECT) return { end: cursor.value(at, 2), seen: undefined };
  const seen: { etag?: string; lastModified?: string } = {};
  let valid = true;
  let i = cursor.skipSpace(at + 1);
  if (cursor.byte(i) === CLOSE_OBJECT) return { end: i + 1, seen };
  do {
    i = cursor.skipSpace(i);
    if (cursor.byte(i) !== QUOTE) cursor.unexpected(i, 'a key (a string)');
    const keyEnd = cursor.string(i);
    const field = fieldOf(cursor);
    i = cursor.value(cursor.expect(keyEnd, COLON, "':'"), 3);
    if (field !== undefined) {
      // As JSON.parse, the last of two equal keys counts.
      if (cursor.kind === STRING) seen[field] = cursor.decodeString();
      else valid = false;
    }
    i = cursor.separator(i, CLOSE_OBJECT);
  } while (!cursor.closed);
  return { end: i, seen: valid ? seen : undefined };
}

/** Which field the key just read names; compared as bytes, decoded only if escaped. */
function fieldOf(cursor: JsonCursor): (typeof FIELDS)[number] | undefined {
  if (cursor.escaped) return FIELDS.find((name) => name === cursor.decodeString());
  return FIELDS.find((_, k) => cursor.stringIs(FIELD_BYTES[k] as Uint8Array));
}
