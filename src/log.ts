import { redact } from './redact.ts';

/** Where progress and diagnostics go: stderr for the CLI, a collector in tests. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/** Logs to a stream (stderr by default), redacting secrets on the way out. */
export function streamLogger(stream: NodeJS.WritableStream = process.stderr): Logger {
  return {
    info: (message) => stream.write(`${redact(message)}\n`),
    warn: (message) => stream.write(`warning: ${redact(message)}\n`),
  };
}

export const silentLogger: Logger = { info: () => {}, warn: () => {} };
