import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeManifestFile } from '../../src/manifest/baseline-file.ts';
import type { FileEntry } from '../../src/manifest/manifest.ts';
import { scanDir } from '../../src/manifest/scan-dir.ts';
import { BIN } from '../support/run-cli.ts';

// Issue 8 §4: SIGINT/SIGTERM end `plan` and `deploy` at any stage, leaving nothing half-written
// (no baseline, no journal, no lock, no temporary file). These need a real process and real
// signals. The bound is a kill timer: the child must exit on its own before it fires; the
// elapsed time is reported, never asserted.
const BOUND_MS = 5000;

interface Interrupted {
  readonly code: number | null;
  /** Set when the kill timer had to end the child: the signal was not honoured in time. */
  readonly killed: boolean;
  readonly stderr: string;
  readonly stdout: string;
}

/**
 * Runs the CLI in `cwd`, waits until `ready` says the run reached the stage under test (from
 * its stderr so far, or from what it has open: see `opened`), sends `signal`, and waits.
 */
async function interrupt(
  cwd: string,
  args: readonly string[],
  signal: NodeJS.Signals,
  ready: (stderr: string, pid: number) => boolean | Promise<boolean>,
): Promise<Interrupted> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  let code: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (status) => {
      code = status;
      resolve();
    }),
  );
  while (code === undefined && !(await ready(stderr, child.pid as number))) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  expect(code, `${args[0]} ended before it reached the stage: ${stderr}`).toBeUndefined();
  const sent = Date.now();
  child.kill(signal);
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, BOUND_MS);
  await exited.finally(() => clearTimeout(timer));
  console.info(`${args[0]} ended ${Date.now() - sent} ms after ${signal}`);
  return { code: code ?? null, killed, stderr, stdout };
}

/** Whether process `pid` has a file open under `path` (Linux: /proc/PID/fd). */
async function opened(pid: number, path: string): Promise<boolean> {
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
  const targets = await Promise.all(
    fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')),
  );
  return targets.some((target) => target.startsWith(path));
}

/** What an interrupted run may leave in the state folder: nothing but a whole journal. */
async function leftovers(state: string): Promise<string[]> {
  return existsSync(state) ? (await readdir(state)).sort() : [];
}

async function site(root: string, files: number): Promise<void> {
  for (let folder = 0; folder * 500 < files; folder++) {
    const dir = join(root, 'site', `d${folder}`);
    await mkdir(dir, { recursive: true });
    const count = Math.min(500, files - folder * 500);
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        writeFile(join(dir, `p${i}.html`), `<p>${folder}/${i}</p>\n`),
      ),
    );
  }
}

async function config(root: string, extra: Record<string, unknown> = {}): Promise<void> {
  await writeFile(
    join(root, 'edgepurge.config.json'),
    JSON.stringify({
      dir: 'site',
      baseUrl: 'http://www.example.test',
      baseline: 'state/baseline.json',
      // Never reached: every run here is interrupted before it purges.
      providers: [{ type: 'varnish', endpoints: ['http://127.0.0.1:9'] }],
      ...extra,
    }),
  );
}

// Linux only (skipped elsewhere, with this reason): a stage is recognised by the files the
// process holds open (/proc/<pid>/fd), and CI runs on Linux.
describe.skipIf(process.platform !== 'linux')('signals end plan and deploy at any stage', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'edgepurge-signals-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it.each(['plan', 'deploy'])('%s, while scanning a few thousand files', async (command) => {
    const root = join(work, `scan-${command}`);
    await site(root, 4000);
    await config(root);
    // A hashing worker has a file of the site open: the scan is under way.
    const run = await interrupt(root, [command], 'SIGTERM', (_, pid) =>
      opened(pid, join(root, 'site')),
    );
    expect(run.killed, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain('edgepurge: interrupted; the baseline was not saved');
    expect(run.stdout).toBe('');
    expect(await leftovers(join(root, 'state'))).toEqual([]);
  });

  describe('with a large baseline (100,000 files, all removed)', () => {
    let root: string;
    let before: string;
    beforeAll(async () => {
      root = join(work, 'baseline');
      await site(root, 20);
      await config(root);
      // The entries of a real scan, under many more paths: whatever the manifest format holds.
      const scanned = await scanDir(join(root, 'site'));
      const entries = Object.values(scanned.files);
      const files: Record<string, FileEntry> = {};
      for (let i = 0; i < 100_000; i++) {
        files[`old/${String(i).padStart(5, '0')}.html`] = entries[i % entries.length] as FileEntry;
      }
      await writeManifestFile(join(root, 'state', 'baseline.json'), { ...scanned, files });
      before = await readFile(join(root, 'state', 'baseline.json'), 'utf8');
    });

    it.each([
      ['plan', 'SIGTERM'],
      ['deploy', 'SIGINT'],
    ] as const)('%s, while reading it (%s)', async (command, signal) => {
      const run = await interrupt(root, [command], signal, (_, pid) =>
        opened(pid, join(root, 'state', 'baseline.json')),
      );
      expect(run.killed, run.stderr).toBe(false);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain('edgepurge: interrupted; the baseline was not saved');
      expect(await readFile(join(root, 'state', 'baseline.json'), 'utf8')).toBe(before);
      expect(await leftovers(join(root, 'state'))).toEqual(['baseline.json']);
    });

    // Diffing and planning are synchronous; the pipeline lets the loop turn after each, so a
    // signal that came meanwhile ends the run instead of a plan printed with exit 0.
    it.each(['plan', 'deploy'])('%s, while planning', async (command) => {
      const run = await interrupt(root, [command], 'SIGTERM', (text) => text.includes('scan: '));
      expect(run.killed, run.stderr).toBe(false);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain('edgepurge: interrupted; the baseline was not saved');
      expect(run.stdout).toBe('');
      expect(await readFile(join(root, 'state', 'baseline.json'), 'utf8')).toBe(before);
      expect(await leftovers(join(root, 'state'))).toEqual(['baseline.json']);
    });
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'deploy, during an upload hook that sleeps (%s): the hook and its children are stopped',
    async (signal) => {
      const root = join(work, `hook-${signal}`);
      await site(root, 3);
      await config(root, {
        hooks: { upload: 'sleep 60 & echo $! > bg.pid; echo uploading; sleep 60; echo done' },
      });
      const run = await interrupt(root, ['deploy'], signal, (text) => text.includes('| uploading'));
      expect(run.killed, run.stderr).toBe(false);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain('edgepurge: interrupted; the baseline was not saved');
      expect(run.stderr).not.toContain('| done');
      // The lock is released and nothing else was written: no baseline, no journal.
      expect(await leftovers(join(root, 'state'))).toEqual([]);
      // The hook's background child went with it (its process group was stopped).
      const pid = Number(await readFile(join(root, 'bg.pid'), 'utf8'));
      await expect.poll(() => running(pid), { timeout: 2000 }).toBe(false);
    },
  );

  it('deploy, a second signal: exits 130 at once, and the deploy lock is still removed', async () => {
    const root = join(work, 'twice');
    await site(root, 3);
    await config(root, { hooks: { upload: 'echo uploading; sleep 60' } });
    const child = spawn(process.execPath, [BIN, 'deploy'], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (stderr.includes('| uploading')) resolve();
      }),
    );
    // The lock is held while the hook runs.
    expect(await leftovers(join(root, 'state'))).toEqual(['baseline.json.journal.lock']);
    child.kill('SIGTERM');
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), BOUND_MS);
    const code = await exited.finally(() => clearTimeout(timer));
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/edgepurge: interrupted \(SIG(INT|TERM) again\); exiting now/);
    expect(await leftovers(join(root, 'state')), stderr).toEqual([]);
  });
});

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
