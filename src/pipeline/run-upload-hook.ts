import { $ } from 'zx';
import { JobError } from '../errors.ts';

/**
 * Runs the user's upload command (rsync, aws s3 sync, …) in `cwd` through the shell, with its
 * output on our stderr so `--json` keeps stdout clean. Fails the job on a non-zero exit.
 */
export async function runUploadHook(
  command: string,
  cwd: string,
  signal: AbortSignal,
): Promise<void> {
  // The hook is shell code the user wrote: pass it through unquoted.
  const shell = $({
    cwd,
    signal,
    nothrow: true,
    quiet: true,
    stdio: ['ignore', 2, 2],
    quote: (part) => String(part),
  });
  const output = await shell`${command}`;
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
