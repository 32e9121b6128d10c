import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { INTERRUPTED_EXIT_CODE, stopOnInterrupt } from '../../src/interrupt.ts';

function harness(graceMs: number) {
  const listeners = new Map<string, () => void>();
  const exits: number[] = [];
  const written: string[] = [];
  const controller = new AbortController();
  stopOnInterrupt({
    controller,
    graceMs,
    stderr: { write: (text: string) => written.push(text) },
    exit: (code) => exits.push(code),
    on: (signal, listener) => listeners.set(signal, listener),
  });
  const send = (signal: 'SIGINT' | 'SIGTERM') => listeners.get(signal)?.();
  return { controller, exits, written, send };
}

describe('stopOnInterrupt', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aborts on the first signal and exits only when the run has not stopped within the grace', () => {
    const run = harness(7000);
    run.send('SIGINT');
    expect(run.controller.signal.aborted).toBe(true);
    expect((run.controller.signal.reason as Error).message).toBe('received SIGINT');
    vi.advanceTimersByTime(6999);
    expect(run.exits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(run.exits).toEqual([INTERRUPTED_EXIT_CODE]);
    expect(run.written.join('')).toContain('SIGINT, not stopped within 7000 ms');
  });

  it('exits at once on a second signal (the runner SIGTERM after SIGINT, or Ctrl-C twice)', () => {
    const run = harness(2000);
    run.send('SIGINT');
    run.send('SIGTERM');
    expect(run.exits).toEqual([130]);
    expect(run.written.join('')).toContain('SIGTERM again');
  });
});
