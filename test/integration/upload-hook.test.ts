import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobError } from '../../src/errors.ts';
import { runUploadHook } from '../../src/pipeline/run-upload-hook.ts';

function collector() {
  const lines: string[] = [];
  return {
    lines,
    log: { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`warning: ${m}`) },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

// Each of these hung the deploy before: the hook's stdin was an open pipe, there was no
// timeout, and the deploy waited for background children holding the hook's stdout.
describe('runUploadHook', () => {
  it('gives the hook /dev/null as stdin: a command that reads stdin ends at once', async () => {
    const work = await mkdtemp(join(tmpdir(), 'edgepurge-hook-'));
    const { lines, log } = collector();
    await runUploadHook('cat; echo read-all', work, log, new AbortController().signal);
    expect(lines).toContain('  | read-all');
  });

  it('is done when its shell exits, not when background children close its output', async () => {
    const work = await mkdtemp(join(tmpdir(), 'edgepurge-hook-'));
    const { lines, log } = collector();
    await runUploadHook(
      'sleep 30 & echo $! > bg.pid; echo uploaded',
      work,
      log,
      new AbortController().signal,
    );
    expect(lines).toContain('  | uploaded');
    expect(lines.some((line) => line.includes('background processes'))).toBe(true);
    process.kill(Number(await readFile(join(work, 'bg.pid'), 'utf8')), 'SIGKILL');
  });

  it('stops the whole process group after hooks.timeoutSeconds, naming the key', async () => {
    const work = await mkdtemp(join(tmpdir(), 'edgepurge-hook-'));
    const { log } = collector();
    const error = await runUploadHook(
      'sleep 30 & echo $! > bg.pid; wait',
      work,
      log,
      new AbortController().signal,
      0.5,
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JobError);
    expect((error as JobError).at).toBe('hooks.timeoutSeconds');
    expect((error as JobError).message).toContain('did not finish within 0.5s');
    expect(await waitGone(Number(await readFile(join(work, 'bg.pid'), 'utf8')))).toBe(true);
  });

  it('an interrupt stops the hook and its children', async () => {
    const work = await mkdtemp(join(tmpdir(), 'edgepurge-hook-'));
    const { log } = collector();
    const controller = new AbortController();
    const run = runUploadHook('sleep 30 & echo $! > bg.pid; wait', work, log, controller.signal);
    for (let i = 0; i < 50; i++) {
      const pid = await readFile(join(work, 'bg.pid'), 'utf8').catch(() => '');
      if (pid.trim() !== '') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    controller.abort(new Error('received SIGINT'));
    await expect(run).rejects.toThrow('received SIGINT');
    expect(await waitGone(Number(await readFile(join(work, 'bg.pid'), 'utf8')))).toBe(true);
  });
});
