import { Readable, Writable } from 'node:stream';
import { main } from '../../src/cli/main.ts';

/** What one in-process run of the CLI printed, and its exit code. */
export interface MainRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `edgepurge ARGV` in this process through `main(argv, io)`: captured stdout and stderr,
 * only `env` as the environment, `input` (if any) as stdin, no TTY. For tests that need no
 * process (exit codes, signals and start-up are what runCli is for).
 */
export async function runMain(
  argv: readonly string[],
  options: {
    readonly cwd: string;
    readonly env?: NodeJS.ProcessEnv;
    readonly input?: string;
    readonly signal?: AbortSignal;
  },
): Promise<MainRun> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(argv, {
    ...(options.input === undefined ? {} : { stdin: Readable.from([options.input]) }),
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: options.env ?? {},
    cwd: options.cwd,
    signal: options.signal ?? new AbortController().signal,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}
