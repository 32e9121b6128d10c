import {
  CLOSE_OBJECT,
  COLON,
  JsonCursor,
  NEED_MORE,
  OPEN_OBJECT,
  QUOTE,
  STRING,
} from './json-cursor.ts';
import {
  ENTRY_NEEDS,
  FILES_NOT_OBJECT,
  isSafeRelativePath,
  MANIFEST_VERSION,
  type ManifestVersion,
  manifestError,
  manifestVersionError,
  READABLE_MANIFEST_VERSIONS,
  type RecordedValidators,
  UNSAFE_PATH,
  VALIDATOR_NEEDS,
  VALIDATORS_NOT_OBJECT,
} from './manifest.ts';
import { PackedFilesBuilder } from './packed-files-builder.ts';
import type { PackedManifest } from './packed-manifest.ts';
import { CanonicalEntry, readCanonicalEntry } from './read-canonical-entry.ts';
import { FileEntryFields, readFileEntry } from './read-file-entry.ts';
import { readValidatorEntry } from './read-validator-entry.ts';
import { isSafePathBytes } from './safe-path-bytes.ts';
import { TypeInterner } from './type-interner.ts';

/**
 * The most one unit may take: a top-level member other than `files` and `validators`, or one
 * entry of those maps. An entry is a few hundred bytes; a crafted file that makes one larger
 * is refused here instead of being buffered whole.
 */
export const MAX_UNIT_BYTES = 1024 * 1024;

/**
 * An entry as edgepurge writes it takes at least this many bytes (a one-character path, two
 * one-digit numbers, an empty type: indentation, keys and the 64 hex digits); a typical one
 * ~220. Entries in a file ≤ its length / this; a compact hand-written file may hold more, and
 * then the columns grow as they would without a guess.
 */
const MIN_CANONICAL_ENTRY_BYTES = 150;
/** Path bytes ≤ the file's length / this, in edgepurge's layout (~24 of ~220 bytes typical). */
const PATH_SHARE_DIVISOR = 4;

type Phase = 'start' | 'first-member' | 'member' | 'first-entry' | 'entry' | 'done';
type MapName = 'files' | 'validators' | 'ignored';
interface Problem {
  readonly message: string;
  readonly at: string;
}

/**
 * Reads a manifest's JSON as it arrives, chunk by chunk, into a `PackedManifest`: the text is
 * never held whole, only the chunk being read and the entry it ends in. It refuses what
 * `parseManifest` refuses, with the same messages and, as far as a reader that cannot look
 * ahead can, the same precedence: invalid JSON (anywhere), then the version (written last),
 * then the first bad entry, then a key listed twice. So after a bad entry it reads on, storing
 * nothing, to find the version and the end.
 */
export class ManifestStreamParser {
  readonly #source: string;
  readonly #cursor: JsonCursor;
  readonly #builder: PackedFilesBuilder;
  readonly #fields = new FileEntryFields();
  readonly #canonical = new CanonicalEntry();
  readonly #types: TypeInterner;
  #pos = 0;
  #phase: Phase = 'start';
  #map: MapName = 'ignored';
  readonly #topKeys = new Set<string>();
  #version: unknown;
  #generator: string | undefined;
  #createdAt: string | undefined;
  #baseUrl: string | undefined;
  #validators: Record<string, RecordedValidators> | undefined;
  #filesSeen = false;
  #filesProblem: Problem | undefined;
  #validatorsProblem: Problem | undefined;
  #topDuplicate: Problem | undefined;
  #validatorsDuplicate: Problem | undefined;

  /**
   * `expectedBytes`: the length of the text, when known (a file): the columns start at the
   * most entries it can hold in the canonical layout, so they never grow (PackedFilesBuilder).
   */
  constructor(source: string, expectedBytes?: number) {
    this.#source = source;
    this.#builder = new PackedFilesBuilder(
      expectedBytes === undefined
        ? {}
        : {
            entries: expectedBytes / MIN_CANONICAL_ENTRY_BYTES,
            pathBytes: expectedBytes / PATH_SHARE_DIVISOR,
          },
    );
    this.#cursor = new JsonCursor(source);
    this.#types = new TypeInterner(this.#builder);
  }

  /** Reads what `chunk` completes; keeps an entry it cuts in two for the next chunk. */
  push(chunk: Uint8Array): void {
    this.#pos -= this.#cursor.append(chunk, this.#pos);
    this.#run();
  }

  /** The input ended: the manifest, or an InputError (exit 2) naming the file and the fault. */
  end(): PackedManifest {
    this.#cursor.final = true;
    this.#run();
    const source = this.#source;
    if (!READABLE_MANIFEST_VERSIONS.includes(this.#version as number)) {
      throw manifestVersionError(source, this.#version);
    }
    const version = this.#version as ManifestVersion;
    const problem =
      this.#filesProblem ??
      (this.#filesSeen ? undefined : { message: FILES_NOT_OBJECT, at: 'files' }) ??
      (version === 1 ? undefined : this.#validatorsProblem);
    if (problem !== undefined) throw manifestError(source, problem.message, problem.at);
    const { files, duplicate } = this.#builder.finish();
    const twice =
      this.#topDuplicate ??
      (duplicate === undefined ? undefined : listedTwice('files', duplicate)) ??
      (version === 1 ? undefined : this.#validatorsDuplicate);
    if (twice !== undefined) throw manifestError(source, twice.message, twice.at);
    return {
      // Read as the version this build writes, as parseManifest does.
      version: MANIFEST_VERSION,
      generator: this.#generator ?? 'unknown',
      createdAt: this.#createdAt ?? '',
      ...(this.#baseUrl === undefined ? {} : { baseUrl: this.#baseUrl }),
      files,
      ...(version === 1 || this.#validators === undefined ? {} : { validators: this.#validators }),
    };
  }

  /** Reads whole units from the committed position until the window ends inside one. */
  #run(): void {
    const cursor = this.#cursor;
    try {
      while (this.#phase !== 'done') {
        if (this.#map === 'files' && this.#filesProblem === undefined) {
          const read = this.#canonicalEntries();
          if (read >= 0) this.#commit(read, 'entry');
        }
        this.#unit();
      }
      this.#pos = cursor.blank(this.#pos);
      if (this.#pos < cursor.end) cursor.unexpected(this.#pos, 'nothing after the manifest object');
    } catch (error) {
      if (error !== NEED_MORE) throw error;
      if (cursor.end - this.#pos > MAX_UNIT_BYTES) {
        throw manifestError(
          this.#source,
          `an entry or member of more than ${MAX_UNIT_BYTES} bytes at byte ${cursor.base + this.#pos}; a manifest's entries are a few hundred bytes`,
          this.#source,
        );
      }
    }
  }

  /** One unit: whitespace, then a separator, a member or an entry; committed only whole. */
  #unit(): void {
    const cursor = this.#cursor;
    // Whitespace is committed at once: a file of blanks is never buffered.
    this.#pos = cursor.blank(this.#pos);
    let i = this.#pos;
    const c = cursor.byte(i);
    const phase = this.#phase;
    if (phase === 'start') {
      if (c !== OPEN_OBJECT) {
        cursor.value(i, 0);
        throw manifestError(this.#source, 'a manifest is a JSON object', this.#source);
      }
      this.#commit(i + 1, 'first-member');
      return;
    }
    const inMap = phase === 'first-entry' || phase === 'entry';
    if (phase === 'member' || phase === 'entry') {
      const next = cursor.separator(i, CLOSE_OBJECT);
      if (cursor.closed) {
        this.#commit(next, inMap ? 'member' : 'done');
        return;
      }
      i = cursor.skipSpace(next);
    } else if (c === CLOSE_OBJECT) {
      this.#commit(i + 1, inMap ? 'member' : 'done');
      return;
    }
    if (cursor.byte(i) !== QUOTE) cursor.unexpected(i, 'a key (a string)');
    const keyEnd = cursor.string(i);
    const valueStart = cursor.skipSpace(cursor.expect(keyEnd, COLON, "':'"));
    if (inMap) this.#entry(valueStart);
    else this.#member(valueStart);
  }

  /**
   * The `files` entries from the committed position on that are written as edgepurge writes
   * them, read by `readCanonicalEntry` without the general reader's checks for other layouts
   * (about twice as fast), until one is not or the window ends; `#unit` reads that one.
   * Returns the index after the last entry read, -1 if none was. (The caller commits it: code
   * after this loop, never run before V8 optimises the loop, would deoptimise it per chunk.)
   */
  #canonicalEntries(): number {
    const phase = this.#phase;
    if (phase !== 'entry' && phase !== 'first-entry') return -1;
    const cursor = this.#cursor;
    const { bytes, end } = cursor;
    const entry = this.#canonical;
    const builder = this.#builder;
    const types = this.#types;
    let pos = this.#pos;
    let first = phase === 'first-entry';
    for (;;) {
      const next = readCanonicalEntry(bytes, pos, end, first, entry);
      if (next < 0) break;
      const { keyStart, keyEnd } = entry;
      // An unsafe path is left to #unit, which refuses it with its message.
      if (!isSafePathBytes(bytes, keyStart, keyEnd)) break;
      const typeId = types.idOfBytes(bytes, entry.typeStart, entry.typeEnd, entry.typeHash);
      // A plain ASCII key goes to the builder as bytes; any other is decoded as decodeString
      // decodes it (invalid UTF-8 becomes U+FFFD), which the builder's bytes must not hold.
      const index = entry.keyAscii
        ? builder.addUtf8WithTypeId(bytes, keyStart, keyEnd, entry.size, entry.mtimeMs, typeId)
        : builder.addWithTypeId(
            bytes.utf8Slice(keyStart, keyEnd),
            entry.size,
            entry.mtimeMs,
            typeId,
          );
      builder.setSha(index, entry.sha256);
      pos = next;
      first = false;
    }
    return first ? -1 : pos;
  }

  #commit(pos: number, phase: Phase): void {
    this.#pos = pos;
    this.#phase = phase;
  }

  /** A top-level member: `files` and `validators` open a map read entry by entry. */
  #member(valueStart: number): void {
    const cursor = this.#cursor;
    const key = cursor.decodeString();
    const twice = this.#topKeys.has(key);
    if ((key === 'files' || key === 'validators') && cursor.byte(valueStart) === OPEN_OBJECT) {
      this.#topKeys.add(key);
      if (twice) this.#topDuplicate ??= listedTwice('(top level)', key);
      if (key === 'files') this.#filesSeen = true;
      else this.#validators ??= Object.create(null) as Record<string, RecordedValidators>;
      this.#map = twice ? 'ignored' : key;
      this.#commit(valueStart + 1, 'first-entry');
      return;
    }
    const end = cursor.value(valueStart, 1);
    const kind = cursor.kind;
    const text = kind === STRING ? cursor.decodeString() : undefined;
    this.#topKeys.add(key);
    if (twice) this.#topDuplicate ??= listedTwice('(top level)', key);
    if (key === 'version') {
      this.#version = JSON.parse(cursor.bytes.toString('utf8', valueStart, end));
    } else if (key === 'generator') this.#generator = text;
    else if (key === 'createdAt') this.#createdAt = text;
    else if (key === 'baseUrl') this.#baseUrl = text;
    else if (key === 'files') {
      this.#filesProblem ??= { message: FILES_NOT_OBJECT, at: 'files' };
    } else if (key === 'validators') {
      this.#validatorsProblem ??= { message: VALIDATORS_NOT_OBJECT, at: 'validators' };
    }
    this.#commit(end, 'member');
  }

  /** One entry of `files` or `validators`. */
  #entry(valueStart: number): void {
    const cursor = this.#cursor;
    const keyStart = cursor.stringStart;
    const keyEnd = cursor.stringEnd;
    const keyEscaped = cursor.escaped;
    const map = this.#map;
    let end: number;
    if (map === 'files') end = this.#fileEntry(keyStart, keyEnd, keyEscaped, valueStart);
    else if (map === 'validators') end = this.#validatorEntry(valueStart);
    else end = cursor.value(valueStart, 2);
    this.#commit(end, 'entry');
  }

  /** `"path": { mtimeMs, sha256, size, type }`, checked as parseManifest checks it. */
  #fileEntry(keyStart: number, keyEnd: number, keyEscaped: boolean, valueStart: number): number {
    const cursor = this.#cursor;
    const fields = this.#fields;
    const end = readFileEntry(cursor, valueStart, fields);
    if (this.#filesProblem !== undefined) return end;
    // Decoded only now, when the entry is whole: a path cut by the window is read again.
    // A plain ASCII key is not decoded at all (unless refused): the builder takes its bytes.
    const bytes = cursor.bytes;
    const plain = !keyEscaped && isAscii(bytes, keyStart, keyEnd);
    const path = plain ? undefined : this.#key(keyStart, keyEnd, keyEscaped);
    const safe = keyEscaped
      ? isSafeRelativePath(path as string)
      : isSafePathBytes(bytes, keyStart, keyEnd);
    const { size, mtimeMs } = fields;
    const valid =
      Number.isSafeInteger(size) &&
      size >= 0 &&
      Number.isFinite(mtimeMs) &&
      fields.typeStart >= 0 &&
      fields.hasSha;
    const why = !safe ? UNSAFE_PATH : valid ? undefined : ENTRY_NEEDS;
    if (why !== undefined) {
      return this.#refuseEntry(path ?? this.#key(keyStart, keyEnd, false), why, end);
    }
    const builder = this.#builder;
    const typeId = this.#types.idOf(cursor, fields);
    const index =
      path === undefined
        ? builder.addUtf8WithTypeId(bytes, keyStart, keyEnd, size, mtimeMs, typeId)
        : builder.addWithTypeId(path, size, mtimeMs, typeId);
    builder.setSha(index, fields.sha256);
    return end;
  }

  /** The key at `[start, end)` of the cursor's bytes, decoded. */
  #key(start: number, end: number, escaped: boolean): string {
    const cursor = this.#cursor;
    cursor.stringStart = start;
    cursor.stringEnd = end;
    cursor.escaped = escaped;
    return cursor.decodeString();
  }

  #refuseEntry(path: string, why: string, end: number): number {
    const at = `files[${JSON.stringify(path)}]`;
    this.#filesProblem = { message: `${at} ${why}`, at };
    return end;
  }

  /** `"url": { etag?, lastModified? }`, strings only. */
  #validatorEntry(valueStart: number): number {
    const cursor = this.#cursor;
    const url = cursor.decodeString();
    const { end, seen } = readValidatorEntry(cursor, valueStart);
    const validators = this.#validators as Record<string, RecordedValidators>;
    if (seen === undefined) {
      const at = `validators[${JSON.stringify(url)}]`;
      this.#validatorsProblem ??= { message: `${at} ${VALIDATOR_NEEDS}`, at };
    } else if (Object.hasOwn(validators, url)) {
      this.#validatorsDuplicate ??= listedTwice('validators', url);
    } else validators[url] = seen;
    return end;
  }
}

function isAscii(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if ((bytes[i] as number) >= 0x80) return false;
  return true;
}

function listedTwice(member: string, key: string): Problem {
  const at = `${member}[${JSON.stringify(key)}]`;
  return { message: `${at} is listed twice`, at };
}
