import type { FileHandle } from 'node:fs/promises';
import { open, stat } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import mime from 'mime';

/** A loopback HTTP server started by the demo. */
export interface DemoServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open (keep-alive) connections. */
  close(): Promise<void>;
}

export interface OriginOptions {
  /** Directory served as the document root. */
  root: string;
  /** Address to listen on; loopback by default. The port is always ephemeral. */
  host?: string;
}

/**
 * The ETag nginx sends for a static file: hex seconds of the mtime, a dash, hex size
 * (`ngx_http_set_etag`: `"%xT-%xO"`). A copy that keeps size and mtime keeps the ETag.
 */
export function nginxEtag(mtimeMs: number, size: number): string {
  return `"${Math.floor(mtimeMs / 1000).toString(16)}-${size.toString(16)}"`;
}

/**
 * Whether an `If-None-Match` header matches `etag` by weak comparison (RFC 9110 §13.1.2):
 * `*` matches anything, `W/` prefixes are ignored on both sides.
 */
export function matchesIfNoneMatch(header: string, etag: string | undefined): boolean {
  if (etag === undefined) return false;
  const wanted = header.trim();
  if (wanted === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return wanted.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === opaque);
}

/**
 * Whether `If-Modified-Since` says the client's copy is current: the resource was last
 * modified at or before the given date (compared at one-second resolution, as HTTP dates are).
 */
export function notModifiedSince(header: string, lastModifiedMs: number): boolean {
  const since = Date.parse(header);
  return Number.isFinite(since) && Math.floor(lastModifiedMs / 1000) * 1000 <= since;
}

// nginx's default charset_types plus the other textual types a static site serves.
const TEXTUAL_TYPES = new Set([
  'application/javascript',
  'application/json',
  'application/manifest+json',
  'application/rss+xml',
  'application/xml',
  'image/svg+xml',
]);

function contentType(file: string): string {
  const type = mime.getType(file) ?? 'application/octet-stream';
  return type.startsWith('text/') || TEXTUAL_TYPES.has(type) ? `${type}; charset=utf-8` : type;
}

// HTML revalidates on every use; everything else may be kept for an hour. Un-hashed assets with
// a long max-age are the realistic setup that makes a deploy not stick.
function cacheControl(file: string): string {
  return file.endsWith('.html') ? 'no-cache' : 'public, max-age=3600';
}

function sendError(res: ServerResponse, status: number, title: string): void {
  const body = `<html><head><title>${status} ${title}</title></head><body><h1>${status} ${title}</h1></body></html>\n`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

type Resolved =
  | { kind: 'file'; file: string }
  | { kind: 'redirect'; location: string }
  | { kind: 'error'; status: number; title: string };

async function statOrUndefined(file: string) {
  try {
    return await stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

/** Maps a request target to a file under `root`, the way nginx's static module does. */
async function resolveTarget(root: string, target: string): Promise<Resolved> {
  const queryAt = target.indexOf('?');
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
  const query = queryAt === -1 ? '' : target.slice(queryAt);
  if (!rawPath.startsWith('/')) return { kind: 'error', status: 400, title: 'Bad Request' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { kind: 'error', status: 400, title: 'Bad Request' };
  }
  if (decoded.includes('\0')) return { kind: 'error', status: 400, title: 'Bad Request' };
  // `/../x` and `/%2e%2e/x` must not leave the root; nginx answers such requests 400.
  const file = path.resolve(root, `.${decoded}`);
  const relative = path.relative(root, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    return { kind: 'error', status: 400, title: 'Bad Request' };
  }
  const info = await statOrUndefined(file);
  if (info === undefined) return { kind: 'error', status: 404, title: 'Not Found' };
  if (info.isDirectory()) {
    if (!decoded.endsWith('/')) return { kind: 'redirect', location: `${rawPath}/${query}` };
    const index = path.join(file, 'index.html');
    const indexInfo = await statOrUndefined(index);
    // nginx without autoindex: "directory index of ... is forbidden".
    if (indexInfo === undefined || !indexInfo.isFile()) {
      return { kind: 'error', status: 403, title: 'Forbidden' };
    }
    return { kind: 'file', file: index };
  }
  if (!info.isFile() || decoded.endsWith('/')) {
    return { kind: 'error', status: 404, title: 'Not Found' };
  }
  return { kind: 'file', file };
}

async function serveFile(req: IncomingMessage, res: ServerResponse, file: string): Promise<void> {
  let handle: FileHandle | undefined = await open(file, 'r');
  try {
    // Size and mtime come from the open descriptor, so headers and bytes describe the same file.
    const info = await handle.stat();
    const etag = nginxEtag(info.mtimeMs, info.size);
    const lastModified = new Date(Math.floor(info.mtimeMs / 1000) * 1000).toUTCString();
    const validators = { etag, 'last-modified': lastModified, 'cache-control': cacheControl(file) };
    const ifNoneMatch = req.headers['if-none-match'];
    const ifModifiedSince = req.headers['if-modified-since'];
    // If-None-Match wins over If-Modified-Since when both are present (RFC 9110 §13.2.2).
    const notModified =
      ifNoneMatch !== undefined
        ? matchesIfNoneMatch(ifNoneMatch, etag)
        : ifModifiedSince !== undefined && notModifiedSince(ifModifiedSince, info.mtimeMs);
    if (notModified) {
      res.writeHead(304, validators);
      res.end();
      return;
    }
    res.writeHead(200, {
      ...validators,
      'content-type': contentType(file),
      'content-length': info.size,
    });
    if (req.method === 'HEAD' || info.size === 0) {
      res.end();
      return;
    }
    // Never more than the advertised length, even if the file grows while it is read.
    const stream = handle.createReadStream({ start: 0, end: info.size - 1 });
    handle = undefined; // the stream owns and closes the descriptor now
    await pipeline(stream, res);
  } finally {
    await handle?.close();
  }
}

async function handleRequest(root: string, req: IncomingMessage, res: ServerResponse) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    sendError(res, 405, 'Not Allowed');
    return;
  }
  const resolved = await resolveTarget(root, req.url ?? '/');
  if (resolved.kind === 'error') {
    sendError(res, resolved.status, resolved.title);
  } else if (resolved.kind === 'redirect') {
    // A relative Location, as nginx sends with `absolute_redirect off`: right behind any proxy.
    res.setHeader('location', resolved.location);
    sendError(res, 301, 'Moved Permanently');
  } else {
    await serveFile(req, res, resolved.file);
  }
}

/** Listens on an ephemeral port of `host` and returns the URL and a `close` that also drops idle sockets. */
export function listen(server: Server, host: string): Promise<DemoServer> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('server has no TCP address'));
        return;
      }
      const hostPart = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${hostPart}:${address.port}`,
        port: address.port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}

/**
 * Starts a static file server over `root` that builds validators exactly as nginx does:
 * ETag from mtime and size, Last-Modified from mtime, 304 for matching conditionals.
 * Each request opens the file afresh and streams it; nothing is cached in the origin.
 * `/dir` redirects to `/dir/`, which serves `dir/index.html`; paths escaping `root` get 400.
 */
export async function startOrigin(opts: OriginOptions): Promise<DemoServer> {
  const root = path.resolve(opts.root);
  const server = createServer((req, res) => {
    handleRequest(root, req, res).catch(() => {
      if (res.headersSent) res.destroy();
      else sendError(res, 500, 'Internal Server Error');
    });
  });
  return listen(server, opts.host ?? '127.0.0.1');
}
