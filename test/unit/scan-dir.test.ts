import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EdgepurgeError, InputError, JobError } from '../../src/errors.ts';
import { comparePaths, GENERATOR, serializeManifest } from '../../src/manifest/manifest.ts';
import { scanDir } from '../../src/manifest/scan-dir.ts';

let root: string;
let site: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'edgepurge-scan-'));
  site = join(root, 'site');
  mkdirSync(site);
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Writes files (path → content) under `dir`, creating folders. */
function tree(dir: string, files: Record<string, string | Buffer>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

const fixedClock = (iso: string) => () => new Date(iso);

/** Awaits a rejection and returns the error, checked to be of `type` with `code`. */
async function failure<T extends EdgepurgeError>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T,
  code: string,
): Promise<T> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(type);
  expect((error as T).code).toBe(code);
  return error as T;
}

describe('scanDir: the manifest', () => {
  const files = {
    'index.html': '<h1>home</h1>\n',
    'about/index.html': '<h1>about</h1>\n',
    'about/team/index.html': '<h1>team</h1>\n',
    'about-us.html': 'moved\n',
    'about.txt': 'plain\n',
    'assets/app.js': 'console.log(1);\n',
    'assets/a b/c d.css': 'body{}\n',
    'Zebra.svg': '<svg/>',
    'über/naïve café.json': '{"ok":true}',
    'empty.bin': '',
  };

  it('records size, mtime, sha256 and content type of every file', async () => {
    tree(site, files);
    const manifest = await scanDir(site, { now: fixedClock('2025-01-02T03:04:05.000Z') });

    expect(manifest.version).toBe(2);
    expect(manifest.generator).toBe(GENERATOR);
    expect(manifest.createdAt).toBe('2025-01-02T03:04:05.000Z');
    expect('baseUrl' in manifest).toBe(false);
    expect(Object.getPrototypeOf(manifest.files)).toBe(Object.prototype);
    expect(Object.keys(manifest.files).sort(comparePaths)).toEqual(
      Object.keys(files).sort(comparePaths),
    );
    for (const [path, content] of Object.entries(files)) {
      const stat = statSync(join(site, path));
      expect(Object.getOwnPropertyDescriptor(manifest.files, path)?.value, path).toEqual({
        size: Buffer.byteLength(content),
        mtimeMs: stat.mtimeMs,
        sha256: sha256(content),
        type: expect.any(String),
      });
    }
    expect(manifest.files['about/index.html']?.type).toBe('text/html; charset=utf-8');
    expect(manifest.files['assets/a b/c d.css']?.type).toBe('text/css; charset=utf-8');
    expect(manifest.files['über/naïve café.json']?.type).toBe('application/json; charset=utf-8');
    expect(manifest.files['Zebra.svg']?.type).toBe('image/svg+xml; charset=utf-8');
    expect(manifest.files['empty.bin']).toMatchObject({
      size: 0,
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      type: 'application/octet-stream',
    });
  });

  it('inserts keys in comparePaths order across nested folders', async () => {
    tree(site, files);
    const keys = Object.keys((await scanDir(site)).files);
    // `about-us.html` and `about.txt` sort before `about/…` because '-' and '.' < '/'.
    expect(keys).toEqual([
      'Zebra.svg',
      'about-us.html',
      'about.txt',
      'about/index.html',
      'about/team/index.html',
      'assets/a b/c d.css',
      'assets/app.js',
      'empty.bin',
      'index.html',
      'über/naïve café.json',
    ]);
  });

  it('is deterministic: two scans serialise identically but for createdAt', async () => {
    tree(site, files);
    const first = await scanDir(site, { now: fixedClock('2025-01-01T00:00:00.000Z') });
    const second = await scanDir(site, { now: fixedClock('2025-06-01T00:00:00.000Z') });
    expect(second.createdAt).not.toBe(first.createdAt);
    expect(serializeManifest({ ...second, createdAt: first.createdAt })).toBe(
      serializeManifest(first),
    );
    // The order the scanner inserted is already the serialised order.
    expect(JSON.stringify(Object.keys(first.files))).toBe(
      JSON.stringify(Object.keys(JSON.parse(serializeManifest(first)).files)),
    );
  });

  it('records baseUrl only when given', async () => {
    tree(site, { 'a.txt': 'a' });
    const manifest = await scanDir(site, { baseUrl: 'https://example.com/docs/' });
    expect(manifest.baseUrl).toBe('https://example.com/docs/');
  });

  it('gives an empty dir an empty manifest', async () => {
    mkdirSync(join(site, 'only-folders/inside'), { recursive: true });
    const manifest = await scanDir(site);
    expect(manifest.files).toEqual({});
    expect(Object.keys(manifest.files)).toHaveLength(0);
  });

  it('records a file named __proto__ as a key, not as the prototype', async () => {
    tree(site, { __proto__x: '', 'a.txt': 'a' });
    writeFileSync(join(site, '__proto__'), 'awkward');
    const { files } = await scanDir(site);
    expect(Object.getPrototypeOf(files)).toBe(Object.prototype);
    expect(Object.keys(files)).toEqual(['__proto__', '__proto__x', 'a.txt']);
    expect(Object.getOwnPropertyDescriptor(files, '__proto__')?.value?.sha256).toBe(
      sha256('awkward'),
    );
  });

  it('keeps names that hold a literal U+FFFD or a leading BOM', async () => {
    tree(site, { '\uFFFD.txt': 'replacement char', '\uFEFFbom.txt': 'bom' });
    const keys = Object.keys((await scanDir(site)).files);
    expect(keys).toEqual(['\uFEFFbom.txt', '\uFFFD.txt']);
  });

  it('reports progress with the final totals', async () => {
    tree(site, { 'a.txt': 'aaaa', 'b/c.txt': 'cc' });
    const seen: { files: number; bytes: number }[] = [];
    await scanDir(site, { onProgress: (p) => seen.push({ ...p }) });
    expect(seen.at(-1)).toEqual({ files: 2, bytes: 6 });
  });
});

describe('scanDir: symlinks and special files', () => {
  it('scans a symlinked file under the link path', async () => {
    tree(site, { 'real.css': 'body{}', 'css/theme.css': 'x' });
    symlinkSync('real.css', join(site, 'link.css'));
    symlinkSync('../real.css', join(site, 'css/up.css'));
    const { files } = await scanDir(site);
    expect(Object.keys(files)).toEqual(['css/theme.css', 'css/up.css', 'link.css', 'real.css']);
    expect(files['link.css']?.sha256).toBe(sha256('body{}'));
    expect(files['css/up.css']).toEqual(files['real.css']);
  });

  it('walks a symlinked directory that stays inside', async () => {
    tree(site, { 'v2/index.html': 'v2', 'v2/img/a.png': 'png' });
    symlinkSync('v2', join(site, 'latest'));
    const { files } = await scanDir(site);
    expect(Object.keys(files)).toEqual([
      'latest/img/a.png',
      'latest/index.html',
      'v2/img/a.png',
      'v2/index.html',
    ]);
    expect(files['latest/index.html']?.sha256).toBe(sha256('v2'));
  });

  it('does not loop on a symlinked directory cycle', { timeout: 10_000 }, async () => {
    tree(site, { 'a/file.txt': 'f', 'b/other.txt': 'o' });
    symlinkSync('..', join(site, 'a/up')); // a/up → site: an ancestor
    symlinkSync('.', join(site, 'b/self')); // b/self → b
    symlinkSync('../a', join(site, 'b/to-a')); // not a cycle: walked once more as b/to-a
    const { files } = await scanDir(site);
    expect(Object.keys(files)).toEqual(['a/file.txt', 'b/other.txt', 'b/to-a/file.txt']);
  });

  it('scans through a symlinked scan root', async () => {
    tree(site, { 'a.txt': 'a' });
    symlinkSync(site, join(root, 'alias'));
    const { files } = await scanDir(join(root, 'alias'));
    expect(Object.keys(files)).toEqual(['a.txt']);
  });

  it('skips sockets and FIFOs', async () => {
    tree(site, { 'a.txt': 'a' });
    execFileSync('mkfifo', [join(site, 'pipe')]);
    const server: Server = createServer();
    await new Promise<void>((ready) => server.listen(join(site, 'sock'), ready));
    try {
      symlinkSync('pipe', join(site, 'pipe-link'));
      const { files } = await scanDir(site);
      expect(Object.keys(files)).toEqual(['a.txt']);
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });
});

describe('scanDir: refusals', () => {
  it('E_DIR: a missing directory', async () => {
    const missing = join(root, 'nope');
    const error = await failure(scanDir(missing), InputError, 'E_DIR');
    expect(error.exitCode).toBe(2);
    expect(error.at).toBe(missing);
    expect(error.hint).toBeTruthy();
  });

  it('E_DIR: a file where the directory should be', async () => {
    tree(root, { 'file.txt': 'x' });
    const error = await failure(scanDir(join(root, 'file.txt')), InputError, 'E_DIR');
    expect(error.message).toContain('not a directory');
  });

  it('E_SYMLINK_ESCAPE: a symlink to a file outside', async () => {
    tree(root, { 'secret.txt': 'do not publish' });
    tree(site, { 'ok.txt': 'ok' });
    mkdirSync(join(site, 'deep'));
    symlinkSync('../../secret.txt', join(site, 'deep/leak.txt'));
    const error = await failure(scanDir(site), InputError, 'E_SYMLINK_ESCAPE');
    expect(error.exitCode).toBe(2);
    expect(error.at).toBe(join(site, 'deep/leak.txt'));
    expect(error.message).toContain(join(realpathSync(root), 'secret.txt'));
  });

  it('E_SYMLINK_ESCAPE: a symlinked directory outside, even to a sibling with a shared prefix', async () => {
    tree(root, { 'site-private/key.pem': 'key' });
    symlinkSync('../site-private', join(site, 'private'));
    const error = await failure(scanDir(site), InputError, 'E_SYMLINK_ESCAPE');
    expect(error.at).toBe(join(site, 'private'));
  });

  it('E_SYMLINK_ESCAPE: a dangling symlink', async () => {
    symlinkSync('missing.html', join(site, 'broken.html'));
    const error = await failure(scanDir(site), InputError, 'E_SYMLINK_ESCAPE');
    expect(error.at).toBe(join(site, 'broken.html'));
    expect(error.hint).toContain('dangling');
  });

  it('E_FILE_NAME: a file name that is not UTF-8, shown with \\x escapes', async () => {
    mkdirSync(join(site, 'img'));
    const raw = Buffer.concat([
      Buffer.from(join(site, 'img/caf')),
      Buffer.from([0xe9]),
      Buffer.from('.png'),
    ]);
    writeFileSync(raw, 'latin-1 name');
    const error = await failure(scanDir(site), InputError, 'E_FILE_NAME');
    expect(error.exitCode).toBe(2);
    expect(error.at).toBe(join(site, 'img/caf\\xe9.png'));
    expect(error.message).toContain('caf\\xe9.png');
  });

  it('E_FILE_NAME: a directory name that is not UTF-8', async () => {
    const raw = Buffer.concat([Buffer.from(join(site, 'bad')), Buffer.from([0xff, 0xfe])]);
    mkdirSync(raw);
    const error = await failure(scanDir(site), InputError, 'E_FILE_NAME');
    expect(error.at).toBe(join(site, 'bad\\xff\\xfe'));
  });

  it('E_FILE_NAME: a backslash, which manifest paths refuse', async () => {
    tree(site, { 'a\\b.txt': 'x' });
    const error = await failure(scanDir(site), InputError, 'E_FILE_NAME');
    expect(error.at).toBe(join(site, 'a\\b.txt'));
  });

  it('E_SCAN_RACE: a file deleted between the walk and its read', async () => {
    tree(site, { 'a.txt': 'a', 'gone.txt': 'soon gone', 'z.txt': 'z' });
    // scanDir walks and posts the first batches synchronously, before the workers have
    // started; deleting now removes the file after the walk saw it and before a worker opens it.
    const scanning = scanDir(site);
    unlinkSync(join(site, 'gone.txt'));
    const error = await failure(scanning, JobError, 'E_SCAN_RACE');
    expect(error.exitCode).toBe(1);
    expect(error.at).toBe(join(site, 'gone.txt'));
    expect(error.message).toContain('gone.txt');
  });

  it('stops with the abort reason when aborted', async () => {
    tree(site, { 'a.txt': 'a' });
    const controller = new AbortController();
    const scanning = scanDir(site, { signal: controller.signal });
    controller.abort(new Error('user pressed ^C'));
    await expect(scanning).rejects.toThrow('user pressed ^C');
    await expect(scanDir(site, { signal: controller.signal })).rejects.toThrow('user pressed ^C');
  });
});

describe('scanDir: workers', () => {
  it('gives identical manifests with 1, 3 and the default number of workers', {
    timeout: 30_000,
  }, async () => {
    // Mixed sizes around the read buffer (1 MiB) and the per-request budget (8 MiB), so the
    // batch, hand-back and work-stealing paths all run.
    const sizes = [
      0,
      1,
      2047,
      4096,
      65_536,
      1 << 20,
      (1 << 20) + 1,
      5 << 20,
      9 << 20,
      9 << 20,
      12 << 20,
    ];
    const contents = new Map<string, Buffer>();
    for (let i = 0; i < 300; i++) {
      const size = i < sizes.length ? (sizes[i] as number) : 100 + ((i * 7919) % 40_000);
      const path = `d${i % 7}/sub${i % 3}/file-${String(i).padStart(3, '0')}.${['html', 'js', 'png', 'css'][i % 4]}`;
      contents.set(path, randomBytes(size));
    }
    tree(site, Object.fromEntries(contents));

    const now = fixedClock('2025-01-01T00:00:00.000Z');
    const one = await scanDir(site, { workers: 1, now });
    const three = await scanDir(site, { workers: 3, now });
    const byDefault = await scanDir(site, { now });

    expect(Object.keys(one.files)).toHaveLength(300);
    expect(Object.keys(one.files)).toEqual(Object.keys(one.files).sort(comparePaths));
    expect(serializeManifest(three)).toBe(serializeManifest(one));
    expect(serializeManifest(byDefault)).toBe(serializeManifest(one));
    for (const [path, content] of contents) {
      expect(one.files[path]?.sha256, path).toBe(sha256(content));
      expect(one.files[path]?.size, path).toBe(content.length);
    }
  });
});
