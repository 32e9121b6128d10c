import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { duplicateMemberOf } from '../../src/manifest/duplicate-member.ts';
import {
  isSafeRelativePath,
  MANIFEST_VERSION,
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
    { name: 'another version', source: text({}, { version: 3 }), code: 'E_MANIFEST_VERSION' },
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

  it('reads a version 1 baseline as version 2 with no validators recorded; writes version 2', () => {
    const manifest = parseManifest(text({ 'a.txt': entry }), 'v1.json');
    expect(manifest.version).toBe(MANIFEST_VERSION);
    expect(MANIFEST_VERSION).toBe(2);
    expect(manifest.validators).toBeUndefined();
    const out = JSON.parse(serializeManifest(manifest));
    expect(out.version).toBe(2);
    // A manifest with nothing recorded (a scan) stays as small as version 1's.
    expect(out).not.toHaveProperty('validators');
  });

  it('version 1 ignores a stray "validators" member; version 2 reads it', () => {
    const validators = { 'https://x.test/a.txt': { etag: '"5f-1"' } };
    expect(parseManifest(text({ 'a.txt': entry }, { validators }), 'v1.json').validators).toBe(
      undefined,
    );
    const v2 = parseManifest(text({ 'a.txt': entry }, { version: 2, validators }), 'v2.json');
    expect(v2.validators).toEqual(validators);
  });

  it('writes validators sorted by URL, after generator, each with only the validators seen', () => {
    const manifest = parseManifest(text({ 'a.txt': entry }, { version: 2 }), 'm.json');
    const out = serializeManifest({
      ...manifest,
      validators: {
        'https://x.test/b/': { lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT' },
        'https://x.test/a.txt': { etag: '"5f-1"', lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT' },
      },
    });
    const json = JSON.parse(out);
    expect(Object.keys(json)).toEqual(['createdAt', 'files', 'generator', 'validators', 'version']);
    expect(Object.keys(json.validators)).toEqual(['https://x.test/a.txt', 'https://x.test/b/']);
    expect(json.validators['https://x.test/b/']).toEqual({
      lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT',
    });
    expect(serializeManifest(parseManifest(out, 'again'))).toBe(out);
  });

  it.each([
    {
      name: 'a path listed twice',
      source: `{"version":2,"files":{"a.txt":${JSON.stringify(entry)},"b.txt":${JSON.stringify(entry)},"a.txt":${JSON.stringify({ ...entry, size: 9 })}}}`,
      names: 'files["a.txt"] is listed twice',
    },
    {
      name: 'a path listed twice, spelled with an escape',
      source: `{"version":1,"files":{"a.txt":${JSON.stringify(entry)},"\u0061.txt":${JSON.stringify(entry)}}}`,
      names: 'files["a.txt"] is listed twice',
    },
    {
      name: 'a URL listed twice in validators',
      source: `{"version":2,"files":{},"validators":{"https://x.test/":${JSON.stringify({ etag: '"1"' })},"https://x.test/":{}}}`,
      names: 'validators["https://x.test/"] is listed twice',
    },
    {
      name: 'a path listed twice after a stray validators member (version 1)',
      source: `{"version":1,"validators":{"u":{}},"files":{"a.txt":${JSON.stringify(entry)},"a.txt":${JSON.stringify(entry)}}}`,
      names: 'files["a.txt"] is listed twice',
    },
    {
      name: 'two "files" members',
      source: `{"version":2,"files":{"a.txt":${JSON.stringify(entry)}},"files":{}}`,
      names: '(top level)["files"] is listed twice',
    },
  ])('refuses $name (exit 2, naming the key and the file)', ({ source, names }) => {
    const error = refusal(source);
    expect(error.code).toBe('E_MANIFEST');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`baseline.json: ${names}`);
  });

  it('a path or a value that looks like JSON structure is not a duplicate', () => {
    const tricky = {
      'a"b.txt': entry,
      'c"': entry,
      '{"x":1}': entry,
      'a.txt': { ...entry, type: 'text/plain; x="a.txt":' },
    };
    const source = text(tricky);
    expect(Object.keys(parseManifest(source, 'm.json').files)).toHaveLength(4);
    expect(duplicateMemberOf(source, { files: 4 })).toBeUndefined();
    expect(duplicateMemberOf(serializeManifest(parseManifest(source, 'm')), { files: 4 })).toBe(
      undefined,
    );
  });

  it('refuses malformed validators', () => {
    const error = refusal(text({}, { version: 2, validators: { 'https://x.test/': { etag: 5 } } }));
    expect(error.message).toContain('validators["https://x.test/"]');
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
