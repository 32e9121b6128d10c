import { describe, expect, it } from 'vitest';
import { createProgress, useColor } from '../../src/report/progress.ts';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = {
    isTTY,
    write: (chunk: string) => {
      writes.push(chunk);
      return true;
    },
  } as unknown as NodeJS.WritableStream & { isTTY?: boolean };
  return { stream, writes };
}

function fakeClock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const ESC = '\x1b';

describe('createProgress on a TTY', () => {
  it('redraws one line in place, in colour, at most every 100 ms', () => {
    const { stream, writes } = fakeStream(true);
    const clock = fakeClock();
    const progress = createProgress(stream, {}, 10, { now: clock.now, tick: false });
    progress.update({ fresh: 1, stale: 0, pending: 9 });
    expect(writes).toHaveLength(1);
    clock.advance(40);
    progress.update({ fresh: 2, stale: 0, pending: 8 });
    clock.advance(40);
    progress.update({ fresh: 3, stale: 1, pending: 6 });
    expect(writes).toHaveLength(1); // throttled: 80 ms since the last redraw
    clock.advance(20);
    progress.update({ fresh: 4, stale: 1, pending: 5 });
    expect(writes).toHaveLength(2);
    for (const write of writes) {
      expect(write.startsWith(`\r${ESC}[2K`)).toBe(true);
      expect(write).not.toContain('\n');
    }
    expect(writes[1]).toContain(`${ESC}[32m4 fresh`);
    expect(writes[1]).toContain(`${ESC}[31m1 stale`);
    expect(writes[1]).toContain('5 pending');
    expect(writes[1]).toContain('100 ms');
  });

  it('draws the last counts and ends the line when done, once', () => {
    const { stream, writes } = fakeStream(true);
    const clock = fakeClock();
    const progress = createProgress(stream, {}, 3, { now: clock.now, tick: false });
    progress.update({ fresh: 1, stale: 0, pending: 2 });
    clock.advance(10);
    progress.update({ fresh: 3, stale: 0, pending: 0 }); // throttled
    clock.advance(2500);
    progress.done();
    progress.done();
    progress.update({ fresh: 0, stale: 3, pending: 0 });
    const out = writes.join('');
    expect(out.endsWith('\n')).toBe(true);
    expect(out.split('\n')).toHaveLength(2);
    expect(writes.at(-2)).toContain('3 fresh');
    expect(writes.at(-2)).toContain('2.5 s');
  });

  it('writes no escape sequence at all with NO_COLOR, overwriting with spaces instead', () => {
    const { stream, writes } = fakeStream(true);
    const clock = fakeClock();
    const progress = createProgress(stream, { NO_COLOR: '1' }, 1000, {
      now: clock.now,
      tick: false,
    });
    clock.advance(150);
    progress.update({ fresh: 0, stale: 0, pending: 1000 });
    clock.advance(150);
    progress.update({ fresh: 1, stale: 0, pending: 999 });
    clock.advance(150);
    progress.done();
    const out = writes.join('');
    expect(out).not.toContain(ESC);
    expect(writes[0]?.startsWith('\r')).toBe(true);
    // The line got shorter ("1000 pending" → "999 pending"): the leftover is blanked.
    expect(writes[1]).toMatch(/ $/);
  });
});

describe('createProgress without a TTY (CI)', () => {
  it('prints plain lines at most every 5 s, and one at the end', () => {
    const { stream, writes } = fakeStream(false);
    const clock = fakeClock();
    const progress = createProgress(stream, {}, 50, { now: clock.now });
    progress.update({ fresh: 5, stale: 0, pending: 45 });
    clock.advance(3000);
    progress.update({ fresh: 20, stale: 1, pending: 29 });
    expect(writes).toHaveLength(0);
    clock.advance(2000);
    progress.update({ fresh: 30, stale: 2, pending: 18 });
    clock.advance(1000);
    progress.update({ fresh: 40, stale: 2, pending: 8 });
    progress.done();
    expect(writes).toEqual([
      'verify: 30 fresh, 2 stale, 18 pending of 50 (5.0 s)\n',
      'verify: 40 fresh, 2 stale, 8 pending of 50 (6.0 s)\n',
    ]);
  });
});

describe('useColor', () => {
  it.each([
    [true, {}, true],
    [true, { NO_COLOR: '1' }, false],
    [true, { NO_COLOR: '' }, true], // no-color.org: only a non-empty value counts
    [true, { TERM: 'dumb' }, false],
    [false, {}, false],
  ])('isTTY %s, env %j → %s', (isTTY, env, expected) => {
    expect(useColor(fakeStream(isTTY).stream, env)).toBe(expected);
  });
});
