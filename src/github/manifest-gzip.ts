import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createGzip } from 'node:zlib';
import { InputError } from '../errors.ts';
import { MAX_MANIFEST_BYTES } from '../manifest/baseline-file.ts';
import { type Manifest, parseManifest, serializeManifest } from '../manifest/manifest.ts';

/** The serialised manifest goes into gzip in slices of this many characters, never whole. */
const SLICE_CHARS = 1024 * 1024;

/**
 * The manifest as gzip bytes (level 6, zlib's default), compressed as it streams: the JSON text
 * is fed in 1 MiB slices, so no second full-size copy of it is made. Node writes a gzip header
 * without a timestamp, so the same manifest gives the same bytes (and the same git blob).
 */
export async function gzipManifest(manifest: Manifest): Promise<Buffer> {
  const text = serializeManifest(manifest);
  const slices = function* () {
    for (let start = 0; start < text.length; start += SLICE_CHARS) {
      yield Buffer.from(text.slice(start, start + SLICE_CHARS), 'utf8');
    }
  };
  const chunks: Buffer[] = [];
  for await (const chunk of Readable.from(slices()).pipe(createGzip())) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a gzip-compressed manifest: gunzipped as it streams, decoded to text slice by slice,
 * and refused (exit 2, naming `source`) when it is not gzip, is truncated, or inflates past
 * the largest manifest read (MAX_MANIFEST_BYTES: a gzip bomb stops there, not at the heap's end).
 *
 * TODO(issue 11): the text still becomes one string for `parseManifest`. The packed manifest's
 * streaming reader has landed meanwhile (`readManifestStream(chunks, source)` in
 * src/manifest/read-manifest-stream.ts, returning a PackedManifest): once `BaselineStore.read`
 * returns the packed form, hand it `Readable.from([bytes]).pipe(createGunzip())` here, and
 * `gzipManifest` can gzip `manifestChunks(packed)` (write-manifest-stream.ts) instead of one
 * serialised string, so a 1,000,000-file baseline never exists as one string either way.
 */
export async function gunzipManifest(
  bytes: Buffer,
  source: string,
  maxBytes = MAX_MANIFEST_BYTES,
): Promise<Manifest> {
  const refuse = (why: string, cause?: unknown): never => {
    throw new InputError('E_MANIFEST', `cannot read ${source}: ${why}`, {
      at: source,
      hint: 'the stored baseline is damaged; delete it from the state branch and deploy again (the next deploy then starts from no baseline)',
      cause,
    });
  };
  const decoder = new StringDecoder('utf8');
  const parts: string[] = [];
  let inflated = 0;
  try {
    for await (const chunk of Readable.from([bytes]).pipe(createGunzip())) {
      inflated += (chunk as Buffer).length;
      if (inflated > maxBytes) {
        refuse(`it inflates past the ${maxBytes} bytes a manifest may hold`);
      }
      parts.push(decoder.write(chunk as Buffer));
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    refuse(`not a whole gzip stream (${(error as Error).message})`, error);
  }
  parts.push(decoder.end());
  return parseManifest(parts.join(''), source);
}
