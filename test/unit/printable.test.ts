import { describe, expect, it } from 'vitest';
import { printable } from '../../src/report/printable.ts';
import { renderDiffText } from '../../src/report/render-text.ts';

describe('printable', () => {
  it.each([
    ['ESC clears no screen', 'evil\u001b[2J.txt', 'evil\\x1b[2J.txt'],
    ['a newline forges no line', 'a\nfake: ok', 'a\\nfake: ok'],
    ['CR, BEL, DEL and C1 CSI', 'x\r\u0007\u007f\u009b', 'x\\r\\x07\\x7f\\x9b'],
    ['tabs and text stay', 'a\tb é 日本', 'a\tb é 日本'],
  ])('%s', (_, input, shown) => {
    expect(printable(input)).toBe(shown);
  });

  it('keeps line breaks when asked, still escaping the rest', () => {
    expect(printable('one\ntwo\u001b]0;x\u0007', { keepNewlines: true })).toBe(
      'one\ntwo\\x1b]0;x\\x07',
    );
  });

  it('a diff of files with escapes in their names prints one plain line per file', () => {
    const text = renderDiffText({
      added: ['evil\u001b[2J.css', 'two\nlines.js'],
      changed: [],
      removed: [],
      unchanged: 0,
      hazards: [],
    });
    expect(text.includes('\u001b')).toBe(false);
    expect(text.split('\n')).toContain('  added     two\\nlines.js');
  });
});
