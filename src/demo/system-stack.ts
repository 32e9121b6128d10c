/**
 * A real edge on loopback, for the end-to-end tests and `edgepurge demo --stack system`: nginx serving a directory (the origin) behind
 * Varnish running examples/varnish/edgepurge.vcl unchanged except for the backend port.
 *
 * Everything lives in one temp dir (configs, pid files, logs, Varnish's working dir) and both
 * servers run in the foreground in their own process groups, so `stop()` can end them and
 * everything they forked, and nothing is left behind when a test fails.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SystemStack {
  /** nginx, serving `root` directly: `http://127.0.0.1:<originPort>`. */
  originUrl: string;
  /** Varnish in front of nginx: `http://127.0.0.1:<edgePort>`. */
  edgeUrl: string;
  originPort: number;
  edgePort: number;
  /** The directory nginx serves. */
  root: string;
  /** Stops both servers (whole process groups) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Varnish's shared-memory log so far (`varnishlog -d -g request`), for failure messages. */
  varnishLog?(): Promise<string>;
}

/** The VCL users deploy; the stack loads it unchanged except for the backend port. */
export const EXAMPLE_VCL = fileURLToPath(
  new URL('../../examples/varnish/edgepurge.vcl', import.meta.url),
);

const SYSTEM_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SYSTEM_DIRS];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

/** Where a packaged Varnish keeps its vmods: ${libdir}/varnish/vmods, libdir often multiarch. */
function findVmod(varnishd: string, vmod: string): string | undefined {
  const libdirs = [path.resolve(path.dirname(varnishd), '../lib')];
  for (const lib of ['/usr/lib', '/usr/lib64', '/usr/local/lib']) {
    libdirs.push(lib);
    try {
      for (const entry of readdirSync(lib, { withFileTypes: true })) {
        if (entry.isDirectory() && entry.name.includes('-linux-')) {
          libdirs.push(path.join(lib, entry.name));
        }
      }
    } catch {}
  }
  for (const lib of libdirs) {
    const file = path.join(lib, 'varnish', 'vmods', `libvmod_${vmod}.so`);
    if (existsSync(file)) return file;
  }
  return undefined;
}

interface Tools {
  nginx: string;
  varnishd: string;
  varnishadm: string;
  varnishlog: string | undefined;
}

let toolsCache: { ok: true; tools: Tools } | { ok: false; reason: string } | undefined;

function locateTools(): { ok: true; tools: Tools } | { ok: false; reason: string } {
  if (toolsCache) return toolsCache;
  const nginx = findBinary('nginx');
  const varnishd = findBinary('varnishd');
  const varnishadm = findBinary('varnishadm');
  const where = `on PATH or in ${SYSTEM_DIRS.join(', ')}`;
  const missing: string[] = [];
  if (!nginx) missing.push(`nginx not found ${where} (apt-get install nginx-light)`);
  if (!varnishd) missing.push(`varnishd not found ${where} (apt-get install varnish)`);
  if (!varnishadm) missing.push(`varnishadm not found ${where} (apt-get install varnish)`);
  if (varnishd && !findVmod(varnishd, 'xkey')) {
    missing.push('the xkey vmod is not installed (apt-get install varnish-modules)');
  }
  if (!nginx || !varnishd || !varnishadm || missing.length > 0) {
    toolsCache = { ok: false, reason: missing.join('; ') };
  } else {
    toolsCache = {
      ok: true,
      tools: { nginx, varnishd, varnishadm, varnishlog: findBinary('varnishlog') },
    };
  }
  return toolsCache;
}

/** Whether nginx, varnishd/varnishadm and the xkey vmod are installed. */
export function e2eAvailability(): { ok: true } | { ok: false; reason: string } {
  const found = locateTools();
  return found.ok ? { ok: true } : found;
}

// ---------------------------------------------------------------------------------------------
// processes

interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  isRunning: () => boolean;
}

/** Every process group this module started and has not stopped yet (for the exit safety net). */
const liveGroups = new Set<number>();
/** Temp dirs of stacks not stopped yet, removed by the same safety net. */
const liveDirs = new Set<string>();
let exitHookInstalled = false;

function killLiveGroups(): void {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {}
  }
  liveGroups.clear();
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  liveDirs.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // If the worker exits without afterAll running (crash, bail, Ctrl-C), still take the
  // servers down: they run in their own process groups, so nothing else would.
  process.on('exit', killLiveGroups);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killLiveGroups();
      // Keep the default outcome (exit by that signal) unless someone else handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

function startProcess(file: string, args: string[]): Proc {
  installExitHook();
  // detached: the child leads a new process group, so nginx's workers and Varnish's cache
  // process can be signalled together with their parent.
  const child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const append = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 64_000) out = out.slice(-32_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let running = true;
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (error) => {
      append(Buffer.from(`\n${error.message}\n`));
      running = false;
      resolve(null);
    });
    child.on('exit', (code) => {
      running = false;
      resolve(code);
    });
  });
  if (child.pid !== undefined) liveGroups.add(child.pid);
  return { child, output: () => out, exited, isRunning: () => running };
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM the whole group, wait for it to empty, SIGKILL whatever is left after 3 s. */
async function stopProcess(proc: Proc): Promise<void> {
  const pgid = proc.child.pid;
  if (pgid === undefined) return;
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {}
  const deadline = Date.now() + 3000;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(20);
  if (groupAlive(pgid)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {}
    while (groupAlive(pgid)) await sleep(20);
  }
  await Promise.race([proc.exited, sleep(1000)]);
  liveGroups.delete(pgid);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A port that was free a moment ago (nginx cannot listen on port 0 and report it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port of a probe server'));
      });
    });
  });
}

/** Readiness probes ask for this (a 404) so they do not put pages tests use into the cache. */
const PROBE_PATH = '/.edgepurge-stack-probe';

/** One GET; resolves with the response's headers, or undefined if nothing answered. */
function probe(url: string): Promise<http.IncomingHttpHeaders | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 500 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.headers));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

// ---------------------------------------------------------------------------------------------
// nginx

/** The *_temp_path directives this nginx build knows (nginx-light may compile modules out). */
function nginxTempPaths(nginx: string, dir: string): string[] {
  const configure = spawnSync(nginx, ['-V'], { encoding: 'utf8' }).stderr ?? '';
  const lines = [`client_body_temp_path ${quote(path.join(dir, 'client_body_temp'))};`];
  for (const module of ['proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    if (!configure.includes(`--without-http_${module}_module`)) {
      lines.push(`${module}_temp_path ${quote(path.join(dir, `${module}_temp`))};`);
    }
  }
  return lines;
}

function quote(value: string): string {
  if (/["\\\n]/.test(value)) throw new Error(`path not usable in nginx.conf: ${value}`);
  return `"${value}"`;
}

function nginxConfig(opts: { nginx: string; dir: string; root: string; port: number }): string {
  const { dir, root, port } = opts;
  const asRoot = process.getuid?.() === 0;
  return `# generated by test/support/stack.ts
daemon off;
master_process on;
worker_processes 1;
${asRoot ? '# Workers must read the 0700 temp dirs the tests create as root.\nuser root;\n' : ''}pid ${quote(path.join(dir, 'nginx.pid'))};
error_log ${quote(path.join(dir, 'nginx-error.log'))} warn;

events {
  worker_connections 256;
}

http {
  access_log ${quote(path.join(dir, 'nginx-access.log'))};
  ${nginxTempPaths(opts.nginx, dir).join('\n  ')}

  types {
    text/html html;
    text/css css;
    text/plain txt;
    application/javascript js;
    application/json json;
    image/svg+xml svg;
  }
  default_type application/octet-stream;

  server {
    listen 127.0.0.1:${port};
    server_name _;
    root ${quote(root)};
    index index.html;
    # The default, spelled out: ETag "<hex mtime>-<hex size>", the validator behind stale 304s.
    etag on;

    location / {
    }

    # HTML always revalidates (the runbook's Fix 3). Varnish's builtin VCL does not cache
    # responses with no-cache, so these always come from the origin.
    location = / {
      add_header Cache-Control "no-cache";
    }
    location ~ \\.html$ {
      add_header Cache-Control "no-cache";
    }

    # Tagged objects for xkey purges.
    location /tagged/ {
      add_header xkey "tagged";
    }

    # Long-lived assets (the runbook's Fix 3): a year, immutable. Right for content-hashed
    # names; an HTML page or an un-hashed file here is what the cache-policy lint flags.
    location ^~ /static/ {
      add_header Cache-Control "public, max-age=31536000, immutable";
    }

    # Precompressed files: /precompressed/x.js is answered from x.js.gz to clients that accept
    # gzip (and Varnish asks for gzip on every fetch), so a stale .gz is a stale variant.
    location ^~ /precompressed/ {
      gzip_static on;
      gzip_vary on;
    }

    # Clean URLs: /guides/<page> answers 301 to /guides/<page>/ with a relative Location, the
    # form CDN-fronted origins send. No Cache-Control, so the edge caches the pages (and the 301)
    # and a missed purge leaves them stale.
    location ^~ /guides/ {
      absolute_redirect off;
      location ~ ^/guides/[^/.]+$ {
        return 301 $uri/;
      }
    }
  }
}
`;
}

async function startNginx(
  tools: Tools,
  dir: string,
  root: string,
): Promise<{ proc: Proc; port: number }> {
  const confPath = path.join(dir, 'nginx.conf');
  const errorLog = path.join(dir, 'nginx-error.log');
  const pidFile = path.join(dir, 'nginx.pid');
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    await writeFile(confPath, nginxConfig({ nginx: tools.nginx, dir, root, port }));
    await rm(errorLog, { force: true });
    await rm(pidFile, { force: true });
    // -e: the log for start-up errors, before nginx.conf's error_log applies.
    const proc = startProcess(tools.nginx, ['-p', `${dir}/`, '-c', confPath, '-e', errorLog]);
    const deadline = Date.now() + 10_000;
    let bindFailed = false;
    while (Date.now() < deadline && proc.isRunning()) {
      // Someone took the port between freePort() and bind(): nginx would retry for 2.5 s, so
      // give up on this port at once and pick another.
      const log = await readFile(errorLog, 'utf8').catch(() => '');
      if (log.includes('Address already in use')) {
        bindFailed = true;
        break;
      }
      // nginx writes its pid file only after it has bound every listen socket, so an answer
      // after that comes from this nginx, not from whoever else may hold the port.
      if (existsSync(pidFile) && (await probe(`http://127.0.0.1:${port}${PROBE_PATH}`))) {
        return { proc, port };
      }
      await sleep(20);
    }
    await stopProcess(proc);
    const log = await readFile(errorLog, 'utf8').catch(() => '');
    lastError = `${proc.output()}${log}`.trim();
    if (!bindFailed && !log.includes('Address already in use')) break;
  }
  throw new Error(`nginx did not start:\n${lastError}`);
}

// ---------------------------------------------------------------------------------------------
// Varnish

/** Points the example VCL's `backend default` at the test origin. */
function withBackendPort(vcl: string, port: number): string {
  const pattern = /(backend\s+default\s*\{[^}]*?\.port\s*=\s*")\d+(")/;
  if (!pattern.test(vcl)) {
    throw new Error('the VCL has no `backend default { … .port = "<n>"; }` to point at the origin');
  }
  return vcl.replace(pattern, `$1${port}$2`);
}

function varnishadm(tools: Tools, workdir: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      tools.varnishadm,
      ['-n', workdir, '-t', '2', command],
      { timeout: 5000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`varnishadm ${command}: ${error.message} ${stderr}`.trim()));
        else resolve(stdout);
      },
    );
  });
}

async function startVarnish(
  tools: Tools,
  dir: string,
  vclPath: string,
  originPort: number,
): Promise<{ proc: Proc; port: number; workdir: string }> {
  const workdir = path.join(dir, 'varnish');
  const vclFile = path.join(dir, 'edgepurge.vcl');
  await writeFile(vclFile, withBackendPort(await readFile(vclPath, 'utf8'), originPort));
  const proc = startProcess(tools.varnishd, [
    '-F',
    '-n',
    workdir,
    '-f',
    vclFile,
    // Port 0: the kernel picks; debug.listen_address tells us which.
    '-a',
    '127.0.0.1:0',
    '-T',
    '127.0.0.1:0',
    '-s',
    'malloc,64m',
    // Long default TTL so nothing expires mid-test; the VCL itself keeps Varnish's defaults.
    '-t',
    '3600',
    '-p',
    'vcc_allow_inline_c=off',
    // No privilege separation: as root it would compile and read the VCL as the varnish
    // user, who cannot read our 0700 temp dir. (Without root this is the default anyway.)
    '-j',
    'none',
  ]);
  const fail = async (why: string): Promise<never> => {
    await stopProcess(proc);
    throw new Error(`varnishd did not start (${why}):\n${proc.output().trim()}`);
  };
  const deadline = Date.now() + 20_000;
  // The manager prints this once the cache process runs; varnishadm before that just waits.
  while (!proc.output().includes('Child launched OK')) {
    if (!proc.isRunning()) return fail('exited');
    if (Date.now() > deadline) return fail('timed out');
    await sleep(20);
  }
  let port = 0;
  try {
    // "a0 127.0.0.1 41234"
    const listen = await varnishadm(tools, workdir, 'debug.listen_address');
    const match = /127\.0\.0\.1\s+(\d+)/.exec(listen);
    if (!match?.[1]) return fail(`unexpected debug.listen_address output: ${listen}`);
    port = Number(match[1]);
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
  while (!(await probe(`http://127.0.0.1:${port}${PROBE_PATH}`))) {
    if (!proc.isRunning()) return fail('exited');
    if (Date.now() > deadline) return fail('timed out waiting for HTTP');
    await sleep(20);
  }
  return { proc, port, workdir };
}

// ---------------------------------------------------------------------------------------------

/**
 * Starts nginx serving `opts.root` and Varnish (`opts.vclPath`, by default the example VCL) in
 * front of it, both on 127.0.0.1 with ephemeral ports, and resolves once both answer HTTP.
 */
export async function startSystemStack(opts: {
  root: string;
  vclPath?: string;
}): Promise<SystemStack> {
  const found = locateTools();
  if (!found.ok) throw new Error(`end-to-end stack unavailable: ${found.reason}`);
  const { tools } = found;
  const root = path.resolve(opts.root);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'edgepurge-stack-'));
  liveDirs.add(dir);
  const procs: Proc[] = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await Promise.all(procs.map(stopProcess));
      await rm(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
    })();
    return stopped;
  };
  try {
    const origin = await startNginx(tools, dir, root);
    procs.push(origin.proc);
    const edge = await startVarnish(tools, dir, opts.vclPath ?? EXAMPLE_VCL, origin.port);
    procs.push(edge.proc);
    const { varnishlog } = tools;
    const stack: SystemStack = {
      originUrl: `http://127.0.0.1:${origin.port}`,
      edgeUrl: `http://127.0.0.1:${edge.port}`,
      originPort: origin.port,
      edgePort: edge.port,
      root,
      stop,
    };
    if (varnishlog) {
      stack.varnishLog = () =>
        new Promise((resolve) => {
          execFile(
            varnishlog,
            ['-n', edge.workdir, '-d', '-g', 'request'],
            { timeout: 5000, maxBuffer: 16 * 1024 * 1024 },
            (error, stdout) =>
              resolve(error ? `${stdout}\n(varnishlog: ${error.message})` : stdout),
          );
        });
    }
    return stack;
  } catch (error) {
    await stop();
    throw error;
  }
}
