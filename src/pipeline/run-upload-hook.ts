import { createInterface } from 'node:readline';
import { $ } from 'zx';
import { JobError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** How long output is still relayed after the hook's shell exited, from children it left. */
const DRAIN_AFTER_EXIT_MS = 500;

/**
 * Runs the user's upload command (rsync, aws s3 sync, …) in `cwd` through the shell. Its output
 * goes line by line to the log (stderr), redacted like everything else, so `--json` keeps stdout
 * clean and a hook that echoes a token does not leak it. A non-zero exit fails the job.
 *
 * The hook reads /dev/null (a command that reads stdin, like `ssh` without `-n`, would otherwise
 * wait forever), runs in its own process group so a timeout or an interrupt stops all of it,
 * and is done when its shell exits: background children left holding its output are not
 * waited for.
 */
export async function runUploadHook(
  command: string,
  cwd: string,
  log: Logger,
  signal: AbortSignal,
  timeoutSeconds = 1800,
): Promise<void> {
  // Interrupted before it began (a signal during the plan): the upload never starts.
  signal.throwIfAborted();
  // The hook is shell code the user wrote: pass it to /bin/sh unquoted (an explicit shell also
  // keeps Node from warning about arguments passed with `shell: true`).
  const shell = $({
    cwd,
    signal,
    nothrow: true,
    quiet: true,
    quote: (part) => String(part),
    shell: '/bin/sh',
    prefix: '',
    postfix: '',
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const child = shell`${command}`;
  // The timeout stops the hook's whole process group at once. Not zx's `timeout`: it kills the
  // children first, and a shell in `wait` then exits 0, which read as a successful upload.
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    const pid = child.child?.pid;
    try {
      if (pid !== undefined) process.kill(-pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }, timeoutSeconds * 1000);
  const relay = (stream: NodeJS.ReadableStream) =>
    new Promise<void>((resolve) => {
      const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
      lines.on('line', (line) => log.info(`  | ${line}`));
      lines.on('close', resolve);
      // A stream destroyed below (children left holding it) closes without an 'end'.
      stream.once('close', () => lines.close());
    });
  // Once the shell has exited, output still open belongs to children it left in the
  // background: relay what comes within a moment, then stop listening (zx would wait for them).
  let lingering = false;
  const watch = setInterval(() => {
    const process = child.child;
    if (process === undefined || (process.exitCode === null && process.signalCode === null)) return;
    clearInterval(watch);
    setTimeout(() => {
      if (process.stdout?.readableEnded !== false && process.stderr?.readableEnded !== false)
        return;
      lingering = true;
      process.stdout?.destroy();
      process.stderr?.destroy();
    }, DRAIN_AFTER_EXIT_MS).unref();
  }, 100);
  const [output] = await Promise.all([child, relay(child.stdout), relay(child.stderr)]).finally(
    () => {
      clearInterval(watch);
      clearTimeout(timer);
    },
  );
  if (lingering)
    log.warn('upload hook: background processes still hold its output; not waiting for them');
  if (signal.aborted) throw signal.reason;
  if (timedOut) {
    throw new JobError(
      'E_UPLOAD_HOOK',
      `upload hook did not finish within ${timeoutSeconds}s and was stopped: ${command}`,
      {
        at: 'hooks.timeoutSeconds',
        hint: 'nothing was purged; raise hooks.timeoutSeconds or make the upload faster',
      },
    );
  }
  if (output.exitCode !== 0) {
    throw new JobError(
      'E_UPLOAD_HOOK',
      `upload hook exited with ${output.exitCode ?? output.signal}: ${command}`,
      {
        at: 'hooks.upload',
        hint: 'nothing was purged; fix the upload command and run deploy again',
      },
    );
  }
}
