/**
 * The system stack's server processes: each runs in its own process group, so stopping it ends
 * everything it forked, and an exit safety net kills whatever is still running (and removes the
 * stacks' temp dirs) when the process exits without stopping them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

export interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  isRunning: () => boolean;
}

/** Every process group this module started and has not stopped yet (for the exit safety net). */
const liveGroups = new Set<number>();
/** Temp dirs of stacks not stopped yet, removed by the same safety net. */
export const liveDirs = new Set<string>();
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

/** A temp dir and the servers started in it, stopped together. */
export interface ProcessGroup {
  readonly dir: string;
  /** Adds a started server: `stop()` stops it. */
  add(proc: Proc): void;
  /** Stops every server added and removes the dir. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A temp dir (`<tmp>/<prefix>XXXXXX`) for a stack's servers and files; the exit safety net
 * removes it if `stop()` is never called.
 */
export async function startProcessGroup(prefix: string): Promise<ProcessGroup> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  liveDirs.add(dir);
  const procs: Proc[] = [];
  let stopped: Promise<void> | undefined;
  return {
    dir,
    add: (proc) => {
      procs.push(proc);
    },
    stop: () => {
      stopped ??= (async () => {
        await Promise.all(procs.map(stopProcess));
        await rm(dir, { recursive: true, force: true });
        liveDirs.delete(dir);
      })();
      return stopped;
    },
  };
}

/** Starts `file` as the leader of a new process group, collecting its output. */
export function startProcess(file: string, args: string[]): Proc {
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
export async function stopProcess(proc: Proc): Promise<void> {
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

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Readiness probes ask for this (a 404) so they do not put pages tests use into the cache. */
export const PROBE_PATH = '/.edgepurge-stack-probe';

/** One GET; resolves with the response's headers, or undefined if nothing answered. */
export function probe(url: string): Promise<http.IncomingHttpHeaders | undefined> {
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
