import { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { InputError } from '../errors.ts';
import { MAX_MANIFEST_BYTES } from '../manifest/baseline-file.ts';
import type { PackedManifest } from '../manifest/packed-manifest.ts';
import { readManifestStream } from '../manifest/read-manifest-stream.ts';
import { manifestBytes } from '../manifest/write-manifest-stream.ts';

/**
 * The manifest as gzip bytes (level 6, zlib's default), compressed as its text is made: the
 * JSON is fed in ~256 KiB pieces (write-manifest-stream.ts), so a 1,000,000-file baseline never
 * exists as one string. Node writes a gzip header without a timestamp, so the same manifest
 * gives the same bytes (and the same git blob).
 */
export async function gzipManifest(manifest: PackedManifest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from(manifestBytes(manifest)).pipe(createGzip())) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a gzip-compressed manifest into its packed form, gunzipped and parsed as it streams
 * (read-manifest-stream.ts): the JSON text never exists whole. Refused (exit 2, naming `source`)
 * when it is not gzip, is truncated, is not a manifest, or inflates past the largest manifest
 * read (MAX_MANIFEST_BYTES: a gzip bomb stops there, not at the heap's end).
 */
export async function gunzipManifest(
  bytes: Buffer,
  source: string,
  maxBytes = MAX_MANIFEST_BYTES,
  signal?: AbortSignal,
): Promise<PackedManifest> {
  const refuse = (why: string, cause?: unknown): never => {
    throw new InputError('E_MANIFEST', `cannot read ${source}: ${why}`, {
      at: source,
      hint: 'the stored baseline is damaged; delete it from the state branch and deploy again (the next deploy then starts from no baseline)',
      cause,
    });
  };
  async function* inflated(): AsyncGenerator<Uint8Array> {
    let total = 0;
    try {
      for await (const chunk of Readable.from([bytes]).pipe(createGunzip())) {
        total += (chunk as Buffer).length;
        if (total > maxBytes) refuse(`it inflates past the ${maxBytes} bytes a manifest may hold`);
        yield chunk as Buffer;
      }
    } catch (error) {
      if (error instanceof InputError) throw error;
      refuse(`not a whole gzip stream (${(error as Error).message})`, error);
    }
  }
  return readManifestStream(inflated(), source, signal);
}
