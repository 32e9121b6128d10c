import { once } from 'node:events';
import { comparePaths, MANIFEST_VERSION } from './manifest.ts';
import { type PackedManifest, putShaHex } from './packed-manifest.ts';

/** Bytes are handed out in pieces of about this many. */
const CHUNK_BYTES = 256 * 1024;

// The constant parts of an entry, between its variable fields.
const ENTRY_OPEN = Buffer.from('    ', 'latin1');
const AFTER_KEY = Buffer.from(': {\n      "mtimeMs": ', 'latin1');
const AFTER_MTIME = Buffer.from(',\n      "sha256": "', 'latin1');
const AFTER_SHA = Buffer.from('",\n      "size": ', 'latin1');
const AFTER_SIZE = Buffer.from(',\n      "type": ', 'latin1');
const CLOSE_NEXT = Buffer.from('\n    },\n', 'latin1');
const CLOSE_LAST = Buffer.from('\n    }\n', 'latin1');
/** The most an entry takes besides its path and type: the parts above, two numbers, the hash. */
const ENTRY_FIXED_BYTES =
  ENTRY_OPEN.length +
  AFTER_KEY.length +
  AFTER_MTIME.length +
  AFTER_SHA.length +
  AFTER_SIZE.length +
  CLOSE_NEXT.length +
  2 + // the path's quotes
  64 + // the hash in hex
  2 * 24; // two numbers in their longest JSON form (-1.2345678901234567e+308)

/**
 * The manifest's JSON, the very bytes `serializeManifest` writes for the same manifest
 * (`JSON.stringify(…, null, 2)` with sorted keys, then a newline, as UTF-8), in pieces of
 * ~256 KiB: a 1,000,000-file manifest (~220 MB) never exists whole. Entries are written as
 * bytes — the path from the table, the hash in hex from the raw digest — with no string per
 * file but for a path that needs escapes. Each piece is a new buffer (a consumer may hold it)
 * and ends between entries, so never inside a character.
 */
export function* manifestBytes(manifest: PackedManifest): Generator<Buffer> {
  const { files } = manifest;
  let head = '{\n';
  if (manifest.baseUrl !== undefined) head += `  "baseUrl": ${JSON.stringify(manifest.baseUrl)},\n`;
  head += `  "createdAt": ${JSON.stringify(manifest.createdAt)},\n`;
  if (files.count === 0) {
    yield Buffer.from(`${head}  "files": {},\n${tail(manifest)}`, 'utf8');
    return;
  }
  yield Buffer.from(`${head}  "files": {\n`, 'utf8');
  // A few dozen types: each quoted and encoded once, not once per file.
  const types = files.types.map((type) => Buffer.from(JSON.stringify(type), 'utf8'));
  const { count, paths, sizes, mtimes, typeIds } = files;
  let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const type = types[typeIds[i] as number] as Buffer;
    // A path that needs escapes is quoted by JSON.stringify (then it is UTF-8 of that text).
    const escaped = paths.isPlain(i) ? undefined : Buffer.from(JSON.stringify(paths.at(i)), 'utf8');
    const need = ENTRY_FIXED_BYTES + type.length + (escaped?.length ?? paths.byteLengthAt(i)) + 1;
    if (at + need > buffer.length) {
      if (at > 0) yield buffer.subarray(0, at);
      buffer = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, need));
      at = 0;
    }
    at = put(buffer, at, ENTRY_OPEN);
    if (escaped === undefined) {
      buffer[at++] = 0x22;
      at += paths.copyTo(i, buffer, at);
      buffer[at++] = 0x22;
    } else at += escaped.copy(buffer, at);
    at = put(buffer, at, AFTER_KEY);
    at = putAscii(buffer, at, jsonNumber(mtimes[i] as number));
    at = put(buffer, at, AFTER_MTIME);
    at = putShaHex(files, i, buffer, at);
    at = put(buffer, at, AFTER_SHA);
    at = putAscii(buffer, at, jsonNumber(sizes[i] as number));
    at = put(buffer, at, AFTER_SIZE);
    at = put(buffer, at, type);
    at = put(buffer, at, i === count - 1 ? CLOSE_LAST : CLOSE_NEXT);
  }
  if (at > 0) yield buffer.subarray(0, at);
  yield Buffer.from(`  },\n${tail(manifest)}`, 'utf8');
}

/**
 * `bytes` into `buffer` at `at`; returns the end. A loop: for the short pieces of an entry it is
 * several times cheaper than Buffer#copy, which checks its arguments on every call.
 */
function put(buffer: Buffer, at: number, bytes: Uint8Array): number {
  for (let k = 0; k < bytes.length; k++) buffer[at + k] = bytes[k] as number;
  return at + bytes.length;
}

/** `text`, ASCII (a number's JSON), into `buffer` at `at`; returns the end. */
function putAscii(buffer: Buffer, at: number, text: string): number {
  for (let k = 0; k < text.length; k++) buffer[at + k] = text.charCodeAt(k);
  return at + text.length;
}

/** `manifestBytes` as text, piece by piece (each piece ends between entries). */
export function* manifestChunks(manifest: PackedManifest): Generator<string> {
  for (const bytes of manifestBytes(manifest)) yield bytes.toString('utf8');
}

/** What follows `files`: generator, validators, version. */
function tail(manifest: PackedManifest): string {
  return (
    `  "generator": ${JSON.stringify(manifest.generator)},\n` +
    validatorsText(manifest) +
    `  "version": ${MANIFEST_VERSION}\n}\n`
  );
}

/** Writes the manifest's JSON to `out` chunk by chunk, waiting whenever `out` is full. */
export async function writeManifestStream(
  manifest: PackedManifest,
  out: NodeJS.WritableStream,
): Promise<void> {
  for (const chunk of manifestBytes(manifest)) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
}

/** `"validators": {…},` sorted by URL as serializeManifest writes it; nothing when empty. */
function validatorsText(manifest: PackedManifest): string {
  const validators = manifest.validators ?? {};
  const urls = Object.keys(validators).sort(comparePaths);
  if (urls.length === 0) return '';
  const entries = urls.map((url) => {
    const seen = validators[url] ?? {};
    const fields: string[] = [];
    if (seen.etag !== undefined) fields.push(`      "etag": ${JSON.stringify(seen.etag)}`);
    if (seen.lastModified !== undefined) {
      fields.push(`      "lastModified": ${JSON.stringify(seen.lastModified)}`);
    }
    const body = fields.length === 0 ? '{}' : `{\n${fields.join(',\n')}\n    }`;
    return `    ${JSON.stringify(url)}: ${body}`;
  });
  return `  "validators": {\n${entries.join(',\n')}\n  },\n`;
}

/** A finite number as JSON.stringify writes it (the same shortest form; -0 as 0). */
function jsonNumber(value: number): string {
  return String(value);
}
