import { rmSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { JobError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { type Clock, systemClock } from './clock.ts';

/** Who holds a deploy lock: written into the lock file, read by whoever waits for it. */
interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

export interface DeployLock {
  /** Another deploy held the lock first: what was read before may be out of date. */
  readonly waited: boolean;
  release(): Promise<void>;
}

/**
 * Takes the lock that lets one deploy at a time use a baseline and its journal. A second deploy
 * waits up to `waitMs` for it, then fails (exit 1) naming the holder; a lock left by a process
 * that no longer runs on this host is taken over, with a note. Without it two deploys both
 * purged, and the second took the first's journal for an interrupted run to resume.
 */
export async function acquireDeployLock(
  path: string,
  options: {
    readonly log: Logger;
    readonly signal?: AbortSignal;
    readonly waitMs?: number;
    readonly clock?: Clock;
  },
): Promise<DeployLock> {
  const clock = options.clock ?? systemClock;
  const deadline = clock.now() + (options.waitMs ?? 5000);
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let announced = false; ; ) {
    try {
      await writeFile(path, `${JSON.stringify(me)}\n`, { flag: 'wx' });
      // A process that exits while holding the lock (the CLI's second Ctrl-C, or its grace
      // period after a signal) still removes it: the next deploy need not take it over.
      const onExit = () => rmSync(path, { force: true });
      process.once('exit', onExit);
      return {
        waited: announced,
        release: async () => {
          // The exit hook stays until the file is gone: an exit during the removal still
          // removes it (and once `rm` resolved, this line runs before any other callback).
          await rm(path, { force: true });
          process.removeListener('exit', onExit);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(path);
    if (holder === undefined || (holder.host === me.host && !isRunning(holder.pid))) {
      // Gone: killed, or crashed before it could release. Its journal, if any, is a real
      // interrupted run, which this deploy resumes.
      options.log.warn(
        `lock ${path} was left by ${holder === undefined ? 'an unreadable holder' : `pid ${holder.pid}`}, which is gone; taking it over`,
      );
      await rm(path, { force: true });
      continue;
    }
    if (clock.now() >= deadline) {
      throw new JobError(
        'E_LOCKED',
        `another deploy holds ${path}: pid ${holder.pid} on ${holder.host}, since ${holder.since}`,
        {
          at: path,
          hint: 'nothing was changed; wait for that deploy to finish (in CI, a concurrency group per environment), or remove the lock file if that process is gone',
        },
      );
    }
    if (!announced) {
      options.log.info(`waiting for another deploy (pid ${holder.pid} on ${holder.host})`);
      announced = true;
    }
    await clock.sleep(200, options.signal);
  }
}

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as Partial<Holder>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string') return undefined;
    return { pid: value.pid, host: value.host, since: String(value.since ?? 'unknown') };
  } catch {
    // A holder between creating and writing the file reads as empty: not stale yet.
    return { pid: -1, host: 'this host (starting)', since: 'now' };
  }
}

function isRunning(pid: number): boolean {
  if (pid < 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
