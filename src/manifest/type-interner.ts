import { type JsonCursor, STRING } from './json-cursor.ts';
import type { PackedFilesBuilder } from './packed-files-builder.ts';
import type { FileEntryFields } from './read-file-entry.ts';

/**
 * Content types by their JSON bytes: a manifest repeats a few dozen types a million times, so
 * each is decoded once and then recognised by a hash of its bytes, checked byte by byte.
 */
export class TypeInterner {
  readonly #builder: PackedFilesBuilder;
  readonly #byHash = new Map<number, { bytes: Buffer; id: number }>();

  constructor(builder: PackedFilesBuilder) {
    this.#builder = builder;
  }

  /** The builder's type id of the type `fields` points at in the cursor's bytes. */
  idOf(cursor: JsonCursor, fields: FileEntryFields): number {
    const bytes = cursor.bytes;
    const start = fields.typeStart;
    const end = fields.typeEnd;
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
    const known = this.#byHash.get(hash);
    if (known !== undefined && !fields.typeEscaped && sameBytes(known.bytes, bytes, start, end)) {
      return known.id;
    }
    cursor.stringStart = start;
    cursor.stringEnd = end;
    cursor.escaped = fields.typeEscaped;
    cursor.kind = STRING;
    const id = this.#builder.typeIdOf(cursor.decodeString());
    // The first type seen with a hash keeps it; an escaped spelling is never cached.
    if (known === undefined && !fields.typeEscaped) {
      this.#byHash.set(hash, { bytes: Buffer.from(bytes.subarray(start, end)), id });
    }
    return id;
  }
}

function sameBytes(known: Buffer, bytes: Uint8Array, start: number, end: number): boolean {
  if (known.length !== end - start) return false;
  for (let k = 0; k < known.length; k++) if (known[k] !== bytes[start + k]) return false;
  return true;
}
