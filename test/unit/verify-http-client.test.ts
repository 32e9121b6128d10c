/**
 * The verifier's HTTP/1.1 client against a loopback TCP server that writes raw responses: the
 * pool (keep-alive reuse, the connection limit, a kept-alive connection the server closed), the
 * timeouts, aborts, and the refusal of header injection.
 */
import { createHash } from 'node:crypto';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConnectTo } from '../../src/verify/connect-to.ts';
import { createHttpClient, type HttpClient } from '../../src/verify/http-client.ts';

interface RawServer {
  readonly port: number;
  /** Every request head received, in order. */
  readonly heads: string[];
  /** Connections accepted so far. */
  connections: number;
  /** Most connections open at once. */
  peak: number;
}

let server: Server | undefined;
let client: HttpClient | undefined;
afterEach(async () => {
  await client?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  client = undefined;
});

/** Answers each request head with `answer(head, socket)` (which writes, or does nothing). */
async function rawServer(answer: (head: string, socket: Socket) => void): Promise<RawServer> {
  const state: RawServer = { port: 0, heads: [], connections: 0, peak: 0 };
  let open = 0;
  const listening = createServer((socket) => {
    state.connections++;
    open++;
    state.peak = Math.max(state.peak, open);
    socket.on('close', () => open--);
    socket.on('error', () => {});
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end !== -1; end = pending.indexOf('\r\n\r\n')) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        state.heads.push(head);
        answer(head, socket);
      }
    });
  });
  server = listening;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  return Object.assign(state, { port: (listening.address() as AddressInfo).port });
}

const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
const ok = (body: string, headers = '') =>
  `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${headers}\r\n${body}`;

describe('createHttpClient', () => {
  it('keeps one connection alive across requests, sending the public Host', async () => {
    const raw = await rawServer((head, socket) =>
      socket.write(ok(`body of ${head.split(' ')[1]}`)),
    );
    client = createHttpClient({
      connectTo: parseConnectTo([`www.example.com:80:127.0.0.1:${raw.port}`]),
    });
    for (const path of ['/a', '/b?x=1', '/c']) {
      const response = await client.probe(`http://www.example.com${path}`, {
        headers: { 'if-none-match': '"v1"' },
      });
      expect(response.status).toBe(200);
      expect(response.sha256).toBe(sha(`body of ${path}`));
      expect(response.bytes).toBe(Buffer.byteLength(`body of ${path}`));
      expect(response.headers['content-length']).toBe(String(response.bytes));
    }
    expect(raw.connections).toBe(1);
    expect(raw.heads[1]).toMatch(/^GET \/b\?x=1 HTTP\/1\.1\r\n/);
    expect(raw.heads[1]).toContain('\r\nhost: www.example.com');
    expect(raw.heads[1]).toContain('\r\nuser-agent: edgepurge');
    expect(raw.heads[1]).toContain('\r\nif-none-match: "v1"');
  });

  it('hashes a chunked body and a body that ends with the connection', async () => {
    const raw = await rawServer((head, socket) => {
      if (head.startsWith('GET /chunked')) {
        socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n');
        setTimeout(() => socket.write('2\r\nde\r\n0\r\n\r\n'), 20);
      } else {
        socket.end('HTTP/1.1 200 OK\r\n\r\nuntil close');
      }
    });
    client = createHttpClient();
    const chunked = await client.probe(`http://127.0.0.1:${raw.port}/chunked`);
    expect(chunked.sha256).toBe(sha('abcde'));
    const closing = await client.probe(`http://127.0.0.1:${raw.port}/close`);
    expect(closing.sha256).toBe(sha('until close'));
  });

  it('opens at most `connections` connections to an origin; the rest wait their turn', async () => {
    const raw = await rawServer((_head, socket) => {
      setTimeout(() => socket.write(ok('x')), 30);
    });
    client = createHttpClient({ connections: 2 });
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => client?.probe(`http://127.0.0.1:${raw.port}/${i}`)),
    );
    expect(answers.map((answer) => answer?.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(raw.peak).toBe(2);
    expect(raw.connections).toBe(2);
  });

  it('asks again on a new connection when the server closed a kept-alive one', async () => {
    const raw = await rawServer((_head, socket) => {
      socket.write(ok('fresh'));
      // The server's keep-alive timeout, shorter than the client's.
      setTimeout(() => socket.destroy(), 20);
    });
    client = createHttpClient();
    await client.probe(`http://127.0.0.1:${raw.port}/one`);
    await new Promise((resolve) => setTimeout(resolve, 60));
    const again = await client.probe(`http://127.0.0.1:${raw.port}/two`);
    expect(again.sha256).toBe(sha('fresh'));
    expect(raw.connections).toBe(2);
  });

  it('fails a server that never answers with UND_ERR_HEADERS_TIMEOUT', async () => {
    const raw = await rawServer(() => {});
    client = createHttpClient({ timeoutMs: 150 });
    await expect(client.probe(`http://127.0.0.1:${raw.port}/`)).rejects.toMatchObject({
      code: 'UND_ERR_HEADERS_TIMEOUT',
    });
  });

  it('fails a body that stops coming with UND_ERR_BODY_TIMEOUT', async () => {
    const raw = await rawServer((_head, socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc');
    });
    client = createHttpClient({ timeoutMs: 150 });
    await expect(client.probe(`http://127.0.0.1:${raw.port}/`)).rejects.toMatchObject({
      code: 'UND_ERR_BODY_TIMEOUT',
    });
  });

  it('names a refused connection ECONNREFUSED and a cut-short body UND_ERR_SOCKET', async () => {
    const raw = await rawServer((_head, socket) => {
      socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc');
    });
    client = createHttpClient();
    await expect(client.probe(`http://127.0.0.1:${raw.port}/`)).rejects.toMatchObject({
      code: 'UND_ERR_SOCKET',
    });
    await expect(client.probe('http://127.0.0.1:9/')).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it('stops on an abort with its reason, and serves the next request', async () => {
    const raw = await rawServer((head, socket) => {
      if (head.startsWith('GET /slow'))
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\na');
      else socket.write(ok('quick'));
    });
    client = createHttpClient();
    const controller = new AbortController();
    const slow = client.probe(`http://127.0.0.1:${raw.port}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('interrupted')), 30);
    await expect(slow).rejects.toThrow('interrupted');
    const quick = await client.probe(`http://127.0.0.1:${raw.port}/quick`);
    expect(quick.sha256).toBe(sha('quick'));
  });

  it('refuses a header value that would inject another header', async () => {
    client = createHttpClient();
    await expect(
      client.probe('http://127.0.0.1:9/', { headers: { 'x-a': 'b\r\nx-injected: 1' } }),
    ).rejects.toThrow(TypeError);
  });
});
