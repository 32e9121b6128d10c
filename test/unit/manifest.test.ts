import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import {
  isSafeRelativePath,
  parseManifest,
  serializeManifest,
} from '../../src/manifest/manifest.ts';

const entry = { size: 1, mtimeMs: 1000, sha256: 'a'.repeat(64), type: 'text/plain' };
const text = (files: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ version: 1, generator: 't', createdAt: 'x', files, ...extra });

function refusal(source: string): InputError {
  try {
    parseManifest(source, 'baseline.json');
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('parseManifest', () => {
  it('round-trips through serializeManifest with sorted keys', () => {
    const manifest = parseManifest(text({ 'b.txt': entry, 'a/x.txt': entry }), 'm.json');
    const out = serializeManifest(manifest);
    expect(Object.keys(JSON.parse(out).files)).toEqual(['a/x.txt', 'b.txt']);
    expect(Object.keys(JSON.parse(out))).toEqual(['createdAt', 'files', 'generator', 'version']);
    expect(parseManifest(out, 'again')).toEqual(manifest);
  });

  it('keeps files named like Object members (__proto__, constructor) as plain keys', () => {
    const source = `{"version":1,"generator":"t","createdAt":"x","files":{"__proto__":${JSON.stringify(entry)},"constructor":${JSON.stringify(entry)}}}`;
    const manifest = parseManifest(source, 'm.json');
    expect(Object.keys(manifest.files)).toEqual(['__proto__', 'constructor']);
    expect(Object.keys(JSON.parse(serializeManifest(manifest)).files)).toEqual([
      '__proto__',
      'constructor',
    ]);
  });

  it.each([
    { name: 'malformed JSON', source: '{"version": 1,', code: 'E_MANIFEST' },
    { name: 'another version', source: text({}, { version: 2 }), code: 'E_MANIFEST_VERSION' },
    { name: 'an absolute path', source: text({ '/etc/passwd': entry }), code: 'E_MANIFEST' },
    {
      name: 'a path climbing out',
      source: text({ '../../etc/passwd': entry }),
      code: 'E_MANIFEST',
    },
    { name: 'a dot segment inside', source: text({ 'a/../../b': entry }), code: 'E_MANIFEST' },
    { name: 'a backslash path', source: text({ '..\\x': entry }), code: 'E_MANIFEST' },
    { name: 'a bad hash', source: text({ a: { ...entry, sha256: 'zz' } }), code: 'E_MANIFEST' },
    { name: 'a negative size', source: text({ a: { ...entry, size: -1 } }), code: 'E_MANIFEST' },
  ])('refuses $name with exit 2', ({ source, code }) => {
    const error = refusal(source);
    expect(error.code).toBe(code);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('baseline.json');
    expect(error.hint).toBeTruthy();
  });

  it.each([
    ['a', true],
    ['a/b/c.txt', true],
    ['..a', true],
    ['', false],
    ['/a', false],
    ['a//b', false],
    ['./a', false],
    ['a/..', false],
    ['C:/x', false],
  ])('isSafeRelativePath(%j) is %s', (path, safe) => {
    expect(isSafeRelativePath(path)).toBe(safe);
  });
});
