import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * A point where a long run of synchronous work (parsing a baseline, diffing, planning 200,000
 * files) lets the event loop turn, so a SIGINT/SIGTERM that arrived meanwhile is handled, and
 * throws the abort reason if it was. Signal handlers cannot run inside synchronous code: without
 * these points a plan finished, printed and exited 0 after the user pressed Ctrl-C.
 */
export async function checkpoint(signal?: AbortSignal): Promise<void> {
  await nextTurn();
  signal?.throwIfAborted();
}
