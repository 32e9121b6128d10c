import { type FastBuffer, type JsonCursor, STRING } from './json-cursor.ts';
import type { PackedFilesBuilder } from './packed-files-builder.ts';
import type { FileEntryFields } from './read-file-entry.ts';

/** FNV-1a's start and multiplier (32 bits). */
export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/**
 * Content types by their JSON bytes: a manifest repeats a few dozen types a million times, so
 * each is decoded once and then recognised by a hash of its bytes (FNV-1a, `typeHash`),
 * checked byte by byte.
 */
export class TypeInterner {
  readonly #builder: PackedFilesBuilder;
  readonly #byHash = new Map<number, { bytes: Buffer; id: number }>();

  constructor(builder: PackedFilesBuilder) {
    this.#builder = builder;
  }

  /** The builder's type id of the type `fields` points at in the cursor's bytes. */
  idOf(cursor: JsonCursor, fields: FileEntryFields): number {
    const { typeStart, typeEnd, typeEscaped } = fields;
    if (!typeEscaped) {
      const hash = typeHash(cursor.bytes, typeStart, typeEnd);
      return this.idOfBytes(cursor.bytes, typeStart, typeEnd, hash);
    }
    // An escaped spelling is decoded each time and never cached.
    cursor.stringStart = typeStart;
    cursor.stringEnd = typeEnd;
    cursor.escaped = true;
    cursor.kind = STRING;
    return this.#builder.typeIdOf(cursor.decodeString());
  }

  /** The id of the type written without escapes as `bytes[start, end)`, of FNV-1a `hash`. */
  idOfBytes(bytes: FastBuffer, start: number, end: number, hash: number): number {
    const known = this.#byHash.get(hash);
    if (known !== undefined && sameBytes(known.bytes, bytes, start, end)) return known.id;
    // As decodeString reads a string without escapes (invalid UTF-8 becomes U+FFFD).
    const id = this.#builder.typeIdOf(bytes.utf8Slice(start, end));
    // The first type seen with a hash keeps it.
    if (known === undefined) {
      this.#byHash.set(hash, { bytes: Buffer.from(bytes.subarray(start, end)), id });
    }
    return id;
  }
}

/** FNV-1a of `bytes[start, end)`: what read-canonical-entry.ts computes as it scans a type. */
function typeHash(bytes: Uint8Array, start: number, end: number): number {
  let hash = FNV_OFFSET;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ (bytes[i] as number), FNV_PRIME);
  return hash;
}

function sameBytes(known: Buffer, bytes: Uint8Array, start: number, end: number): boolean {
  if (known.length !== end - start) return false;
  for (let k = 0; k < known.length; k++) if (known[k] !== bytes[start + k]) return false;
  return true;
}
