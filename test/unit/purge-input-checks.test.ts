import { describe, expect, it } from 'vitest';
import { isHostPort, listLines } from '../../src/pipeline/purge-input-checks.ts';

describe('isHostPort', () => {
  it.each([
    ['www.example.com', true],
    ['localhost:8080', true],
    ['127.0.0.1:6081', true],
    ['[::1]:8080', true],
    ['_dmarc.example.com', true],
    ['xn--bcher-kva.example', true],
    ['www.example.com:0', false],
    ['www.example.com:65536', false],
    ['www.example.com:', false],
    ['-bad.example.com', false],
    ['a..b', false],
    ['', false],
    ['ops@www.example.com', false],
    ['www.example.com/path', false],
    ['https://www.example.com', false],
    [`${'a'.repeat(64)}.example.com`, false],
    [Array.from({ length: 64 }, () => 'abc').join('.'), false],
  ])('%s → %s', (value, expected) => {
    expect(isHostPort(value)).toBe(expected);
  });
});

describe('listLines', () => {
  it('splits LF and CRLF lines, skips blanks and comments, trims spaces and tabs only', () => {
    const lines = listLines('# c\r\n /a \r\n\r\n\t/b\n', '--file x', '--file');
    expect(lines.map((line) => line.value)).toEqual(['/a', '/b']);
    expect(lines.map((line) => line.source.name)).toEqual(['--file x line 2', '--file x line 4']);
  });

  it.each([
    ['a CR inside a line', '/a\r/b\n', 'line 1 "/a\\r/b" holds a control character (CR, U+000D)'],
    ['a lone CR at the end', '/a\n/b\r', 'line 2 "/b\\r" holds a control character (CR, U+000D)'],
    ['a vertical tab', '\u000b/a\n', 'line 1 "\\x0b/a" holds a control character (U+000B)'],
  ])('refuses %s, naming the line, escaped', (_, text, message) => {
    expect(() => listLines(text, '--file x', '--file')).toThrow(message);
  });
});
