import { describe, expect, it } from 'vitest';
import {
  Http1ResponseParser,
  MAX_HEAD_BYTES,
  type ResponseHead,
} from '../../src/verify/http1-parser.ts';

interface Parsed {
  head?: ResponseHead;
  body: string;
  ended: boolean;
  trailing: boolean;
}

/** Feeds `wire` to a fresh parser in pieces of `step` bytes (every split point gets tried). */
function parse(wire: string, options: { method?: string; step?: number; close?: boolean } = {}) {
  const out: Parsed = { body: '', ended: false, trailing: false };
  const parser = new Http1ResponseParser({
    head: (head) => {
      out.head = head;
    },
    body: (buffer, start, end) => {
      out.body += buffer.toString('latin1', start, end);
    },
    end: () => {
      out.ended = true;
    },
  });
  parser.start(options.method ?? 'GET');
  const bytes = Buffer.from(wire, 'latin1');
  const step = options.step ?? bytes.length;
  for (let at = 0; at < bytes.length && !out.ended; at += step) {
    // A larger buffer than the bytes fed, as the socket's read buffer is.
    const buffer = Buffer.alloc(step + 16, 0x21);
    const piece = bytes.subarray(at, at + step);
    piece.copy(buffer, 8);
    parser.feed(buffer, 8, 8 + piece.length);
  }
  out.trailing = parser.trailing;
  if (options.close === true) parser.close();
  return out;
}

const OK = 'HTTP/1.1 200 OK\r\n';

describe('Http1ResponseParser', () => {
  const cases: { name: string; wire: string; method?: string; close?: boolean; body: string }[] = [
    { name: 'Content-Length', wire: `${OK}content-length: 5\r\n\r\nhello`, body: 'hello' },
    {
      name: 'chunked, with an extension and trailers',
      wire: `${OK}transfer-encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n!\r\n0\r\nx-trailer: y\r\n\r\n`,
      body: 'hello!',
    },
    {
      name: 'HEAD: no body whatever the length',
      wire: `${OK}content-length: 5\r\n\r\n`,
      method: 'HEAD',
      body: '',
    },
    { name: '304: no body', wire: 'HTTP/1.1 304 Not Modified\r\netag: "a"\r\n\r\n', body: '' },
    { name: '204: no body', wire: 'HTTP/1.1 204 No Content\r\n\r\n', body: '' },
    {
      name: 'interim 100 and 103 heads skipped',
      wire: `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\n${OK}content-length: 2\r\n\r\nok`,
      body: 'ok',
    },
    { name: 'until the close', wire: `${OK}\r\nstreamed`, close: true, body: 'streamed' },
    { name: 'a length of 0', wire: `${OK}content-length: 0\r\n\r\n`, body: '' },
    { name: 'a repeated equal length', wire: `${OK}content-length: 2, 2\r\n\r\nok`, body: 'ok' },
  ];
  for (const { name, wire, method, close, body } of cases) {
    it(`${name}, however the bytes are split`, () => {
      for (const step of [1, 2, 3, 7, 64, wire.length]) {
        const out = parse(wire, {
          step,
          ...(method === undefined ? {} : { method }),
          ...(close === undefined ? {} : { close }),
        });
        expect(out.body, `step ${step}`).toBe(body);
        expect(out.ended, `step ${step}`).toBe(true);
      }
    });
  }

  it('lower-cases header names and joins repeated ones', () => {
    const out = parse(`${OK}Content-Length: 0\r\nVary: a\r\nVARY: b\r\nETag:  "x" \r\n\r\n`);
    expect(out.head).toEqual({
      status: 200,
      headers: { 'content-length': '0', vary: 'a, b', etag: '"x"' },
      keepAlive: true,
    });
  });

  it('keeps HTTP/1.1 connections alive unless told to close; never HTTP/1.0 ones', () => {
    expect(parse(`${OK}content-length: 0\r\n\r\n`).head?.keepAlive).toBe(true);
    expect(parse(`${OK}connection: close\r\ncontent-length: 0\r\n\r\n`).head?.keepAlive).toBe(
      false,
    );
    expect(parse('HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n').head?.keepAlive).toBe(false);
  });

  it('flags bytes after the end of the response', () => {
    expect(parse(`${OK}content-length: 2\r\n\r\nokEXTRA`).trailing).toBe(true);
    expect(parse(`${OK}content-length: 2\r\n\r\nok`).trailing).toBe(false);
  });

  const refused: { name: string; wire: string; message: RegExp }[] = [
    { name: 'not HTTP', wire: 'SSH-2.0-OpenSSH\r\n\r\n', message: /not an HTTP\/1 status line/ },
    {
      name: 'conflicting lengths',
      wire: `${OK}content-length: 2, 3\r\n\r\nok`,
      message: /invalid Content-Length/,
    },
    {
      name: 'a negative length',
      wire: `${OK}content-length: -1\r\n\r\n`,
      message: /invalid Content-Length/,
    },
    {
      name: 'an obsolete line fold',
      wire: `${OK}x-a: 1\r\n  folded\r\n\r\n`,
      message: /malformed header line/,
    },
    {
      name: 'a bad chunk size',
      wire: `${OK}transfer-encoding: chunked\r\n\r\nzz\r\n`,
      message: /invalid chunk size/,
    },
    {
      name: 'chunk data longer than its size',
      wire: `${OK}transfer-encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n`,
      message: /longer than its size/,
    },
    {
      name: 'a head past the limit',
      wire: `${OK}x-big: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`,
      message: /response head over/,
    },
  ];
  for (const { name, wire, message } of refused) {
    it(`refuses ${name} (HPE_INVALID_RESPONSE)`, () => {
      let caught: unknown;
      try {
        parse(wire, { step: 5 });
      } catch (error) {
        caught = error;
      }
      expect((caught as Error).message).toMatch(message);
      expect((caught as { code?: string }).code).toBe('HPE_INVALID_RESPONSE');
    });
  }

  it('calls a close before the end "other side closed" (UND_ERR_SOCKET)', () => {
    expect(() => parse(`${OK}content-length: 9\r\n\r\nshort`, { close: true })).toThrow(
      expect.objectContaining({ message: 'other side closed', code: 'UND_ERR_SOCKET' }),
    );
  });
});
