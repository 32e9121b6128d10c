import { createHash } from 'node:crypto';
import type { Readable, Transform } from 'node:stream';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip } from 'node:zlib';

/** What a body hashed to: hex SHA-256 and the bytes hashed, and the bytes that came in. */
export interface BodyDigest {
  readonly sha256: string;
  /** Bytes hashed (after decoding, when it was decoded). */
  readonly size: number;
  /** Bytes received on the wire. */
  readonly bytes: number;
}

/** Content codings the verifier undoes: the ones it asks for (`Accept-Encoding: gzip, br`). */
const DECODERS: Readonly<Record<string, () => Transform>> = {
  gzip: createGunzip,
  // RFC 9110 8.4.1.3: a recipient should treat x-gzip as gzip.
  'x-gzip': createGunzip,
  br: createBrotliDecompress,
};

/**
 * The codings of a `Content-Encoding` value in the order they were applied, lower-cased,
 * `identity` dropped (RFC 9110 8.4). Empty: the body is not encoded.
 */
export function contentCodings(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
}

/** Whether every coding is one `hashBody` can undo. */
export function canDecode(codings: readonly string[]): boolean {
  return codings.every((coding) => Object.hasOwn(DECODERS, coding));
}

/**
 * Hashes a body as it streams, undoing `codings` (in reverse order of application) on the way,
 * so memory stays flat however large the file. Rejects on a corrupt stream or an unknown coding.
 */
export async function hashBody(
  body: Readable | AsyncIterable<Uint8Array>,
  codings: readonly string[] = [],
): Promise<BodyDigest> {
  const hash = createHash('sha256');
  let bytes = 0;
  if (codings.length === 0) {
    // The common case, kept to a plain loop: no stream plumbing per response.
    for await (const chunk of body) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    return { sha256: hash.digest('hex'), size: bytes, bytes };
  }
  const decoders = [...codings].reverse().map((coding) => {
    const make = DECODERS[coding];
    if (make === undefined) throw new Error(`cannot decode Content-Encoding ${coding}`);
    return make();
  });
  let size = 0;
  const count = async function* (source: AsyncIterable<Uint8Array>) {
    for await (const chunk of source) {
      bytes += chunk.length;
      yield chunk;
    }
  };
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback();
    },
  });
  // pipeline's typings cannot spell a variable number of stages between a source and a sink.
  await (pipeline as unknown as (...stages: unknown[]) => Promise<void>)(
    body,
    count,
    ...decoders,
    sink,
  );
  return { sha256: hash.digest('hex'), size, bytes };
}
