import { ManifestStreamParser } from './manifest-stream-parser.ts';
import type { PackedManifest } from './packed-manifest.ts';

/**
 * Reads a manifest from a stream of bytes (a file, a gunzip stream, stdin) into its packed
 * form, chunk by chunk: the JSON text never exists whole. Refuses what `parseManifest`
 * refuses, with an InputError (exit 2) naming `source` and the entry at fault; an abort of
 * `signal` between chunks is thrown as it is.
 */
export async function readManifestStream(
  chunks: AsyncIterable<Uint8Array>,
  source: string,
  signal?: AbortSignal,
  /** The stream's length in bytes, when known (a file): the columns are sized from it. */
  expectedBytes?: number,
): Promise<PackedManifest> {
  const parser = new ManifestStreamParser(source, expectedBytes);
  for await (const chunk of chunks) {
    signal?.throwIfAborted();
    parser.push(chunk);
  }
  signal?.throwIfAborted();
  return parser.end();
}

/** `parseManifest` into the packed form: the same checks, the same messages. */
export function parsePackedManifest(text: string | Uint8Array, source: string): PackedManifest {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const parser = new ManifestStreamParser(source, bytes.length);
  parser.push(bytes);
  return parser.end();
}
