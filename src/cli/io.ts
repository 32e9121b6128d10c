import type { Logger } from '../log.ts';
import type { Redactor } from '../redact.ts';
import { printable } from '../report/printable.ts';

/** What the process gives a CLI run (bin/edgepurge.js, or a test): streams, env, cwd, signal. */
export interface CliHost {
  readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly signal: AbortSignal;
}

/**
 * What a command may touch of the outside world: the host, and the run's own redactor (main
 * creates one per run, knowing the credentials of `env`), through which everything printed goes.
 */
export interface CliIO extends CliHost {
  readonly redactor: Redactor;
}

/** Writes a result: one JSON document with `--json`, else human text. Secrets are redacted. */
export function printResult(io: CliIO, json: boolean, value: unknown, text: () => string): void {
  io.stdout.write(io.redactor.redact(json ? `${JSON.stringify(value, null, 2)}\n` : text()));
}

export function ioLogger(io: CliIO): Logger {
  const redact = (text: string) => io.redactor.redact(text);
  return {
    // One message, one line: control characters in names and hook output are shown escaped.
    info: (message) => io.stderr.write(`${printable(redact(message))}\n`),
    warn: (message) => io.stderr.write(`warning: ${printable(redact(message))}\n`),
  };
}
