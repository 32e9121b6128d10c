/** Where progress and diagnostics go: stderr for the CLI, a collector in tests. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export const silentLogger: Logger = { info: () => {}, warn: () => {} };
