import { formatDuration } from './summarize-report.ts';

export interface ProgressCounts {
  readonly fresh: number;
  readonly stale: number;
  readonly pending: number;
}

export interface Progress {
  /** Latest counts; drawn now or at the next allowed moment. */
  update(counts: ProgressCounts): void;
  /** Draws the final counts and ends the line. Later calls do nothing. */
  done(): void;
}

export interface ProgressOptions {
  /** Milliseconds clock; injectable so tests do not wait. */
  readonly now?: () => number;
  /** Least time between redraws on a TTY. Default 100 ms (10 per second). */
  readonly ttyIntervalMs?: number;
  /** Least time between lines without a TTY (CI logs). Default 5 s. */
  readonly plainIntervalMs?: number;
  /**
   * On a TTY, redraw every second even without updates, so the elapsed time keeps moving while
   * stale URLs wait on backoff. Default true; tests turn it off.
   */
  readonly tick?: boolean;
}

type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean };

/**
 * Colour only on a terminal, and never when `NO_COLOR` is set to anything non-empty
 * (https://no-color.org) or the terminal says it is dumb.
 */
export function useColor(stream: ProgressStream, env: NodeJS.ProcessEnv): boolean {
  if (stream.isTTY !== true) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

const GREEN = '\x1b[32m';
const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
const CLEAR_LINE = '\x1b[2K';

/**
 * Live verification progress. On a TTY: one line redrawn in place (`\r`) with fresh / stale /
 * pending counts and the elapsed time, at most every `ttyIntervalMs`. Without one (CI): a plain
 * line at most every `plainIntervalMs`, and one at the end. Colour per `useColor`; without
 * colour no escape sequence is written at all (the old line is overwritten with spaces).
 */
export function createProgress(
  stream: ProgressStream,
  env: NodeJS.ProcessEnv,
  total: number,
  options: ProgressOptions = {},
): Progress {
  const now = options.now ?? Date.now;
  const tty = stream.isTTY === true;
  const color = useColor(stream, env);
  const interval = tty ? (options.ttyIntervalMs ?? 100) : (options.plainIntervalMs ?? 5000);
  const started = now();
  let counts: ProgressCounts = { fresh: 0, stale: 0, pending: total };
  let lastDraw = tty ? Number.NEGATIVE_INFINITY : started;
  let lastWidth = 0;
  let finished = false;
  let ticker: ReturnType<typeof setInterval> | undefined;

  const paint = (code: string, s: string): string => (color ? `${code}${s}${RESET}` : s);

  function line(): string {
    const elapsed = formatDuration(now() - started);
    const { fresh, stale, pending } = counts;
    if (!tty)
      return `verify: ${fresh} fresh, ${stale} stale, ${pending} pending of ${total} (${elapsed})`;
    return [
      `verifying ${total} URLs:`,
      paint(GREEN, `${fresh} fresh`),
      stale > 0 ? paint(RED, `${stale} stale`) : `${stale} stale`,
      pending > 0 ? paint(YELLOW, `${pending} pending`) : `${pending} pending`,
      paint(DIM, elapsed),
    ].join('  ');
  }

  function draw(): void {
    const text = line();
    lastDraw = now();
    if (!tty) {
      stream.write(`${text}\n`);
      return;
    }
    if (color) {
      stream.write(`\r${CLEAR_LINE}${text}`);
      return;
    }
    const width = text.length;
    stream.write(`\r${text}${' '.repeat(Math.max(0, lastWidth - width))}`);
    lastWidth = width;
  }

  if (tty && options.tick !== false) {
    ticker = setInterval(() => {
      if (!finished) draw();
    }, 1000);
    ticker.unref?.();
  }

  return {
    update(next) {
      if (finished) return;
      counts = next;
      if (now() - lastDraw >= interval) draw();
    },
    done() {
      if (finished) return;
      finished = true;
      if (ticker !== undefined) clearInterval(ticker);
      draw();
      if (tty) stream.write('\n');
    },
  };
}
