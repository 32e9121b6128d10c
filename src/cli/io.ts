import type { Logger } from '../log.ts';
import { redact } from '../redact.ts';
import { printable } from '../report/printable.ts';

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIO {
  readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly signal: AbortSignal;
}

/** Writes a result: one JSON document with `--json`, else human text. Secrets are redacted. */
export function printResult(io: CliIO, json: boolean, value: unknown, text: () => string): void {
  io.stdout.write(redact(json ? `${JSON.stringify(value, null, 2)}\n` : text()));
}

export function ioLogger(io: CliIO): Logger {
  return {
    // One message, one line: control characters in names and hook output are shown escaped.
    info: (message) => io.stderr.write(`${printable(redact(message))}\n`),
    warn: (message) => io.stderr.write(`warning: ${printable(redact(message))}\n`),
  };
}
