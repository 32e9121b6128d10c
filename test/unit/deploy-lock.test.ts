import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobError } from '../../src/errors.ts';
import { acquireDeployLock } from '../../src/purge/deploy-lock.ts';

function collector() {
  const lines: string[] = [];
  return {
    lines,
    log: { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`warning: ${m}`) },
  };
}

const lockPath = async () => join(await mkdtemp(join(tmpdir(), 'edgepurge-lock-')), 'j.lock');

describe('acquireDeployLock', () => {
  it('a second deploy waits, then fails with exit 1 naming the holder', async () => {
    const path = await lockPath();
    const { log } = collector();
    const first = await acquireDeployLock(path, { log });
    const second = collector();
    const error = await acquireDeployLock(path, { log: second.log, waitMs: 300 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(JobError);
    expect((error as JobError).exitCode).toBe(1);
    expect((error as JobError).message).toContain(`pid ${process.pid} on ${hostname()}`);
    expect(second.lines.join('\n')).toContain('waiting for another deploy');
    await first.release();
    const third = await acquireDeployLock(path, { log });
    await third.release();
  });

  it('a waiting deploy goes on once the holder releases', async () => {
    const path = await lockPath();
    const { log } = collector();
    const first = await acquireDeployLock(path, { log });
    setTimeout(() => void first.release(), 300);
    const second = await acquireDeployLock(path, { log, waitMs: 10_000 });
    expect(second.waited).toBe(true);
    expect(JSON.parse(await readFile(path, 'utf8')).pid).toBe(process.pid);
    await second.release();
  });

  it('takes over a lock left by a process that is gone, with a note', async () => {
    const path = await lockPath();
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(path, JSON.stringify({ pid: gone, host: hostname(), since: 'earlier' }));
    const { lines, log } = collector();
    const lock = await acquireDeployLock(path, { log, waitMs: 0 });
    expect(lines.join('\n')).toContain(`left by pid ${gone}, which is gone; taking it over`);
    await lock.release();
  });

  it('never takes over a lock held from another host', async () => {
    const path = await lockPath();
    await writeFile(path, JSON.stringify({ pid: 1, host: 'ci-runner-7', since: 'earlier' }));
    const { log } = collector();
    await expect(acquireDeployLock(path, { log, waitMs: 0 })).rejects.toThrow(
      'pid 1 on ci-runner-7',
    );
  });
});
