/** How a process entry stops when interrupted: first abort, then a bounded wait, then exit. */
export interface InterruptOptions {
  readonly controller: AbortController;
  /** How long the command may take to stop once aborted before the process exits without it. */
  readonly graceMs: number;
  /** Where the forced exit says why. */
  readonly stderr: { write(text: string): unknown };
  /** Exits the process (process.exit; a test passes its own). */
  readonly exit: (code: number) => void;
  /** Subscribes to a signal (process.on; a test passes its own). */
  readonly on: (signal: 'SIGINT' | 'SIGTERM', listener: () => void) => void;
}

/** The exit code a shell gives a command stopped by SIGINT. */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * First SIGINT or SIGTERM: abort the run, so every stage stops cleanly (no baseline is written
 * past an unverified purge). A second signal, or a run still going after `graceMs`: exit now,
 * with 130. Safe because nothing edgepurge writes can be left half-written: the baseline is
 * replaced by an atomic rename, the journal's torn last line is ignored, and the deploy lock is
 * removed when the process exits.
 */
export function stopOnInterrupt(options: InterruptOptions): void {
  const { controller, graceMs, stderr, exit, on } = options;
  let interrupts = 0;
  const stopNow = (why: string): void => {
    stderr.write(`edgepurge: interrupted (${why}); exiting now\n`);
    exit(INTERRUPTED_EXIT_CODE);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    on(signal, () => {
      if (++interrupts > 1) {
        stopNow(`${signal} again`);
        return;
      }
      controller.abort(new Error(`received ${signal}`));
      setTimeout(() => stopNow(`${signal}, not stopped within ${graceMs} ms`), graceMs).unref();
    });
  }
}
