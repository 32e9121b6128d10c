/**
 * Compressed variants are decoded and hashed as they stream: the digest equals the plain
 * bytes', and memory stays flat however large the body (nothing is buffered whole).
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  brotliCompressSync,
  constants,
  createBrotliCompress,
  createGzip,
  gzipSync,
} from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canDecode, contentCodings, hashBody } from '../../src/verify/decode.ts';
import { createHttpClient } from '../../src/verify/http-client.ts';

const sha = (body: Buffer) => createHash('sha256').update(body).digest('hex');
const text = Buffer.from('body { color: rebeccapurple }\n'.repeat(5000));

/** `size` bytes of a repeating pattern, produced lazily in 64 KiB chunks. */
function* pattern(size: number): Generator<Buffer> {
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + (i >> 7)) & 0xff;
  for (let sent = 0; sent < size; sent += chunk.length)
    yield chunk.subarray(0, Math.min(chunk.length, size - sent));
}

function patternSha(size: number): string {
  const hash = createHash('sha256');
  for (const chunk of pattern(size)) hash.update(chunk);
  return hash.digest('hex');
}

/** Splits a buffer into small chunks, as a network delivers it. */
function* chunks(buffer: Buffer, size = 1000): Generator<Buffer> {
  for (let i = 0; i < buffer.length; i += size) yield buffer.subarray(i, i + size);
}

describe('hashBody', () => {
  it.each([
    { codings: [], encoded: text },
    { codings: ['gzip'], encoded: gzipSync(text) },
    { codings: ['x-gzip'], encoded: gzipSync(text) },
    { codings: ['br'], encoded: brotliCompressSync(text) },
    // Applied gzip first, then br: undone in reverse.
    { codings: ['gzip', 'br'], encoded: brotliCompressSync(gzipSync(text)) },
  ])("$codings: the digest is the plain bytes'", async ({ codings, encoded }) => {
    const digest = await hashBody(Readable.from(chunks(encoded)), codings);
    expect(digest).toEqual({ sha256: sha(text), size: text.length, bytes: encoded.length });
  });

  it('rejects a corrupt stream', async () => {
    await expect(
      hashBody(Readable.from(chunks(Buffer.from('garbage, not gzip'))), ['gzip']),
    ).rejects.toThrow();
  });

  it('parses Content-Encoding', () => {
    expect(contentCodings(undefined)).toEqual([]);
    expect(contentCodings('identity')).toEqual([]);
    expect(contentCodings('GZIP')).toEqual(['gzip']);
    expect(contentCodings('gzip, br')).toEqual(['gzip', 'br']);
    expect(canDecode(['gzip', 'br'])).toBe(true);
    expect(canDecode(['zstd'])).toBe(false);
  });
});

describe('the HTTP client decodes while it streams', () => {
  const SIZE = 320 * 1024 * 1024;
  let server: Server;
  let url = '';
  beforeAll(async () => {
    // Compressed on the fly: the server never holds the body either.
    server = createServer((req, res) => {
      // /gzip/<bytes> or /br/<bytes>
      const [, coding = 'gzip', size = '0'] = (req.url ?? '').split('/');
      const br = coding === 'br';
      res.writeHead(200, {
        'content-type': 'application/javascript',
        'content-encoding': br ? 'br' : 'gzip',
      });
      const encoder = br
        ? createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 1 } })
        : createGzip({ level: 1 });
      void pipeline(Readable.from(pattern(Number(size))), encoder, res).catch(() => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each(['gzip', 'br'])(
    '%s: 320 MiB decoded to the right digest with memory flat',
    async (coding) => {
      const client = createHttpClient({ timeoutMs: 30_000 });
      const expected = patternSha(SIZE);
      const base = process.memoryUsage().rss;
      let peak = base;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 5);
      try {
        const response = await client.probe(`${url}/${coding}/${SIZE}`, {
          headers: { 'accept-encoding': 'gzip, br' },
          decode: true,
        });
        expect(response.decoded).toBe(coding);
        expect(response.sha256).toBe(expected);
        expect(response.bytes).toBeLessThan(SIZE / 4);
      } finally {
        clearInterval(sampler);
        await client.close();
      }
      // Buffering the decoded body would add 320 MiB; streaming stays flat (GC noise aside).
      expect(peak - base).toBeLessThan(128 * 1024 * 1024);
    },
    30_000,
  );

  it('without decode the body is hashed as received', async () => {
    const client = createHttpClient();
    try {
      const response = await client.probe(`${url}/gzip/${1024 * 1024}`, {
        headers: { 'accept-encoding': 'gzip' },
      });
      expect(response.decoded).toBeUndefined();
      expect(response.sha256).not.toBe(patternSha(1024 * 1024));
      expect(response.bytes).toBeLessThan(1024 * 1024);
    } finally {
      await client.close();
    }
  }, 30_000);
});
