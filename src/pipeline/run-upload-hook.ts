import { createInterface } from 'node:readline';
import { $ } from 'zx';
import { JobError } from '../errors.ts';
import type { Logger } from '../log.ts';

/**
 * Runs the user's upload command (rsync, aws s3 sync, …) in `cwd` through the shell. Its output
 * goes line by line to the log (stderr), redacted like everything else, so `--json` keeps stdout
 * clean and a hook that echoes a token does not leak it. A non-zero exit fails the job.
 */
export async function runUploadHook(
  command: string,
  cwd: string,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  // The hook is shell code the user wrote: pass it to the shell unquoted.
  const shell = $({ cwd, signal, nothrow: true, quiet: true, quote: (part) => String(part) });
  const child = shell`${command}`;
  const relay = (stream: NodeJS.ReadableStream) =>
    new Promise<void>((resolve) => {
      const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
      lines.on('line', (line) => log.info(`  | ${line}`));
      lines.on('close', resolve);
    });
  const [output] = await Promise.all([child, relay(child.stdout), relay(child.stderr)]);
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
