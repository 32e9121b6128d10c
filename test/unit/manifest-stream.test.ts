import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { readPackedManifestFile } from '../../src/manifest/baseline-file.ts';
import { MAX_DEPTH } from '../../src/manifest/json-cursor.ts';
import {
  comparePaths,
  isSafeRelativePath,
  parseManifest,
  serializeManifest,
} from '../../src/manifest/manifest.ts';
import { MAX_UNIT_BYTES } from '../../src/manifest/manifest-stream-parser.ts';
import { unpackManifest } from '../../src/manifest/packed-manifest.ts';
import {
  parsePackedManifest,
  readManifestStream,
} from '../../src/manifest/read-manifest-stream.ts';
import { isSafePathBytes } from '../../src/manifest/safe-path-bytes.ts';

const entry = { size: 1, mtimeMs: 1000.25, sha256: 'a'.repeat(64), type: 'text/plain' };
const text = (files: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ version: 2, generator: 't', createdAt: 'x', files, ...extra });

const sample = serializeManifest(
  parseManifest(
    text(
      { 'a.txt': entry, 'd/é "q".html': { ...entry, sha256: 'b'.repeat(64) }, 'z\u2028': entry },
      { baseUrl: 'https://x.test', validators: { 'https://x.test/a.txt': { etag: '"1"' } } },
    ),
    'sample',
  ),
);

/** Numbers as a manifest may spell them, and where the readers' fast paths end. */
const numberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.stringMatching(/^-?(0|[1-9][0-9]{0,18})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?$/),
  // Where the fast paths end: 16 digits around 2^53, mtimes of 17 and more digits.
  fc.stringMatching(/^-?[1-9][0-9]{8,15}\.[0-9]{1,9}$/),
  fc.bigInt({ min: 2n ** 52n, max: 2n ** 54n }).map(String),
  // Near a midpoint between two doubles, cut to 15 or fewer decimals: where a sum rounded
  // twice goes wrong (1.897645598667505 read as W + F / 10^k is one ulp off).
  fc
    .tuple(
      fc.bigInt({ min: 2n ** 52n, max: 2n ** 53n - 1n }),
      fc.integer({ min: 14, max: 52 }),
      fc.oneof(fc.constant(15), fc.integer({ min: 1, max: 15 })),
      fc.constantFrom(0n, 1n, -1n),
    )
    .map(([mantissa, exponent, kept, nudge]) => {
      // (2m + 1) / 2^(e+1), in decimal: (2m + 1) · 5^(e+1) / 10^(e+1).
      const text = ((2n * mantissa + 1n) * 5n ** BigInt(exponent + 1)).toString();
      const point = text.length - (exponent + 1);
      const cut = (BigInt(text.slice(0, point + kept)) + nudge).toString();
      return `${cut.slice(0, -kept) || '0'}.${cut.slice(-kept).padStart(kept, '0')}`;
    }),
  fc
    .tuple(
      fc.bigInt({ min: 1n, max: 10n ** 15n }),
      fc.nat(15),
      fc.bigInt({ min: 0n, max: 10n ** 15n }),
    )
    .map(([whole, k, fraction]) => `${whole}.${String(fraction).padStart(k + 1, '0')}`),
  // 15 digits or fewer in all, a point anywhere: one exact integer over a power of ten (a sum
  // W + F / 10^k would round twice and be one ulp off for some, 5.80089220375327 among them).
  fc
    .integer({ min: 1, max: 14 })
    .chain((k) =>
      fc.tuple(
        fc.bigInt({ min: 0n, max: 10n ** BigInt(15 - k) - 1n }),
        fc.bigInt({ min: 0n, max: 10n ** BigInt(k) - 1n }),
        fc.constant(k),
      ),
    )
    .map(([whole, fraction, k]) => `${whole}.${String(fraction).padStart(k, '0')}`),
  fc.constantFrom('5.80089220375327', '69.5316823548090', '1.897645598667505'),
);

/** What a parser made of `source`: the manifest, or the refusal's code. */
function outcome(parse: () => unknown): unknown {
  try {
    return { ok: parse() };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    expect(error.exitCode).toBe(2);
    return { code: error.code };
  }
}

function refusal(source: string | Uint8Array): InputError {
  try {
    parsePackedManifest(source, 'baseline.json');
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

async function* inChunks(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('the streaming manifest reader', () => {
  it('reads the same manifest whatever the chunks the bytes come in', async () => {
    const bytes = Buffer.from(sample);
    const whole = unpackManifest(parsePackedManifest(bytes, 'm.json'));
    expect(whole).toEqual(parseManifest(sample, 'm.json'));
    for (const size of [1, 2, 3, 5, 7, 13, 64, 100, bytes.length]) {
      const read = await readManifestStream(inChunks(bytes, size), 'm.json');
      expect(unpackManifest(read), `chunks of ${size} bytes`).toEqual(whole);
    }
  });

  it('reads entries in any order and spacing, with escapes and extra members, as parseManifest', () => {
    const sources = [
      `{"files":{"a":{"type":"t","size":1,"sha256":"${'a'.repeat(64)}","mtimeMs":2}},"version":2}`,
      ` { "version" : 2 , "files" : { "a" : { "\\u0073ize" : 1 , "mtimeMs" : 2e3 , "sha256" : "\\u0061${'a'.repeat(63)}" , "type" : "t\\"" , "extra" : [ { } , null , true ] } } } `,
      `{"version":2,"files":{"b\\/c":{"size":0,"mtimeMs":-0.5,"sha256":"${'0'.repeat(64)}","type":"","size":7}}}`,
      `{"version":2,"generator":5,"createdAt":null,"baseUrl":"u","x":{"y":[1,2,{"z":"w"}]},"files":{}}`,
      `{"version":2,"files":{"a":{"size":1,"mtimeMs":1.5,"sha256":"${'a'.repeat(64)}","type":"t"}},"validators":{}}`,
      `{"version":2.0,"files":{"a":{"size":1e2,"mtimeMs":123456789012345678,"sha256":"${'a'.repeat(64)}","type":"t"}}}`,
    ];
    for (const source of sources) {
      expect(unpackManifest(parsePackedManifest(source, 'm.json')), source).toEqual(
        parseManifest(source, 'm.json'),
      );
    }
  });

  it('reads every number as JSON.parse does, to the last bit', () => {
    fc.assert(
      fc.property(numberText, (number) => {
        const source = `{"version":2,"files":{"a":{"size":0,"mtimeMs":${number},"sha256":"${'a'.repeat(64)}","type":""}}}`;
        const expected = JSON.parse(number) as number;
        if (!Number.isFinite(expected)) return;
        const read = parsePackedManifest(source, 'm.json').files.mtimes[0];
        expect(Object.is(read, expected), `${number} read as ${read}`).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it('checks a path in its bytes as isSafeRelativePath checks the string', () => {
    const pathText = fc
      .array(fc.constantFrom('a', 'Z', '.', '/', ':', 'é', '😀', 'c:'), { maxLength: 8 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(pathText, (path) => {
        const bytes = Buffer.from(path);
        expect(isSafePathBytes(bytes, 0, bytes.length), path).toBe(isSafeRelativePath(path));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a file cut anywhere, as parseManifest does (exit 2, naming the file)', () => {
    const bytes = Buffer.from(sample);
    // Only the final newline may go: without it the JSON is still whole.
    for (let cut = 0; cut < bytes.length - 1; cut++) {
      const error = refusal(bytes.subarray(0, cut));
      expect(error.code).toBe('E_MANIFEST');
      expect(error.message).toContain('baseline.json is not valid JSON');
      expect(() => parseManifest(bytes.subarray(0, cut).toString(), 'x')).toThrow(InputError);
    }
    expect(refusal(bytes.subarray(0, 40)).message).toContain('truncated');
  });

  it.each([
    { name: 'another version', source: text({}, { version: 3 }) },
    { name: 'a version as a string', source: text({}, { version: '2' }) },
    { name: 'no version', source: JSON.stringify({ files: {} }) },
    { name: 'no files', source: JSON.stringify({ version: 2 }) },
    { name: 'files as an array', source: text([] as never) },
    { name: 'an absolute path', source: text({ '/etc/passwd': entry }) },
    { name: 'a path climbing out', source: text({ '../x': entry }) },
    { name: 'a dot segment inside', source: text({ 'a/../../b': entry }) },
    { name: 'a backslash path', source: text({ '..\\x': entry }) },
    { name: 'a bad hash', source: text({ a: { ...entry, sha256: 'zz' } }) },
    { name: 'an upper-case hash', source: text({ a: { ...entry, sha256: 'A'.repeat(64) } }) },
    { name: 'a negative size', source: text({ a: { ...entry, size: -1 } }) },
    { name: 'a size past 2^53', source: text({ a: { ...entry, size: 2 ** 53 + 2 } }) },
    {
      name: 'a huge size',
      source: text({ a: { ...entry, size: 0 } }).replace('"size":0', '"size":1e400'),
    },
    { name: 'a size as a string', source: text({ a: { ...entry, size: '1' } }) },
    { name: 'a missing type', source: text({ a: { ...entry, type: undefined } }) },
    { name: 'an entry that is null', source: text({ a: null }) },
    { name: 'a bad entry before a bad version', source: text({ a: null }, { version: 9 }) },
    { name: 'not an object', source: '[1, 2]' },
    { name: 'malformed validators', source: text({}, { validators: { u: { etag: 5 } } }) },
    { name: 'validators as an array', source: text({}, { validators: [] }) },
    {
      name: 'a path listed twice',
      source: `{"version":2,"files":{"a.txt":${JSON.stringify(entry)},"b.txt":${JSON.stringify(entry)},"a.txt":${JSON.stringify({ ...entry, size: 9 })}}}`,
    },
    {
      name: 'a path listed twice, out of order',
      source: `{"version":2,"files":{"b.txt":${JSON.stringify(entry)},"a.txt":${JSON.stringify(entry)},"b.txt":${JSON.stringify(entry)}}}`,
    },
    {
      name: 'a path listed twice, spelled with an escape',
      source: `{"version":1,"files":{"a.txt":${JSON.stringify(entry)},"\\u0061.txt":${JSON.stringify(entry)}}}`,
    },
    {
      name: 'a URL listed twice in validators',
      source: `{"version":2,"files":{},"validators":{"https://x.test/":{"etag":"1"},"https://x.test/":{}}}`,
    },
    {
      name: 'two "files" members',
      source: `{"version":2,"files":{"a.txt":${JSON.stringify(entry)}},"files":{}}`,
    },
  ])('refuses $name with the message parseManifest gives', ({ source }) => {
    let expected: InputError | undefined;
    try {
      parseManifest(source, 'baseline.json');
    } catch (error) {
      expected = error as InputError;
    }
    expect(expected).toBeInstanceOf(InputError);
    const error = refusal(source);
    expect(error.code).toBe(expected?.code);
    expect(error.message).toBe(expected?.message);
    expect(error.at).toBe(expected?.at);
    expect(error.hint).toBe(expected?.hint);
  });

  it.each([
    { name: 'an empty file', source: '', says: 'ends early' },
    { name: 'a byte-order mark', source: `\ufeff${text({})}`, says: 'byte 0xef' },
    { name: 'text after the object', source: `${text({})} {}`, says: "found '{'" },
    { name: 'a trailing comma', source: '{"version":2,"files":{},}', says: 'a key' },
    {
      name: 'a raw control character',
      source: text({ 'a\u0001': entry }).replace('\\u0001', '\u0001'),
      says: 'control character',
    },
    {
      name: 'an unknown escape',
      source: '{"version":2,"files":{},"x":"\\q"}',
      says: 'unknown escape',
    },
    {
      name: 'a short \\u escape',
      source: '{"version":2,"files":{},"x":"\\u12"}',
      says: '\\u escape',
    },
    { name: 'a leading zero', source: '{"version":02,"files":{}}', says: "found '2'" },
    { name: 'a bare minus', source: '{"version":-,"files":{}}', says: 'a digit' },
    {
      name: 'a number of a thousand digits',
      source: `{"version":2,"files":{},"x":${'9'.repeat(1000)}}`,
      says: 'more than 64 characters',
    },
    {
      name: 'a value nested 100,000 deep',
      source: `{"version":2,"files":{},"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
      says: `deeper than ${MAX_DEPTH} levels`,
    },
    {
      name: 'an entry nested deep',
      source: `{"version":2,"files":{"a":{"x":${'{"y":'.repeat(50)}1${'}'.repeat(50)}}}}`,
      says: `deeper than ${MAX_DEPTH} levels`,
    },
  ])('refuses $name as invalid JSON, at a byte offset (exit 2)', ({ source, says }) => {
    const error = refusal(source);
    expect(error.code).toBe('E_MANIFEST');
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/^baseline\.json is not valid JSON: .* \(at byte \d+\)$/);
    expect(error.message).toContain(says);
  });

  it('refuses an entry larger than a manifest entry can be, without holding the file', async () => {
    // The bound is checked when a chunk ends inside the entry: it holds to within a chunk.
    const huge = `{"version":2,"files":{"${'a'.repeat(2 * MAX_UNIT_BYTES)}":${JSON.stringify(entry)}}}`;
    const read = readManifestStream(inChunks(Buffer.from(huge), 64 * 1024), 'baseline.json');
    const error = await read.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain(`more than ${MAX_UNIT_BYTES} bytes at byte 22`);
  });

  it('a file of blanks is read through, not buffered, and refused for what it is', async () => {
    const blanks = Buffer.alloc(4 * MAX_UNIT_BYTES, 0x20);
    const error = await readManifestStream(inChunks(blanks, 1 << 16), 'b.json').catch((e) => e);
    expect((error as InputError).message).toContain('ends early');
  });

  it('agrees with parseManifest on damaged manifests and on any JSON', () => {
    const bytes = Buffer.from(sample);
    const damaged = fc
      .tuple(
        fc.nat(bytes.length - 1),
        fc.constantFrom(...' "{}[],:\\0-9eaz\u00e9'.split('')),
        fc.boolean(),
      )
      .map(([at, char, insert]) => {
        const head = sample.slice(0, at);
        return head + char + sample.slice(insert ? at : at + 1);
      });
    const anything = fc.oneof(
      fc.json(),
      fc.jsonValue().map((files) => text(files as never)),
      fc.jsonValue().map((value) => text({ a: value } as never)),
      fc.jsonValue().map((value) => text({}, { validators: value })),
      fc.jsonValue().map((value) => text({}, { version: value })),
    );
    fc.assert(
      fc.property(fc.oneof(damaged, anything), (source) => {
        const plain = outcome(() => parseManifest(source, 'm.json'));
        const packed = outcome(() => unpackManifest(parsePackedManifest(source, 'm.json')));
        expect(packed).toEqual(plain);
      }),
      { numRuns: 3000 },
    );
  });

  it('reads a manifest file and names it in a refusal', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgepurge-stream-'));
    const good = join(dir, 'good.json');
    await writeFile(good, sample);
    const read = await readPackedManifestFile(good);
    expect(unpackManifest(read as never)).toEqual(parseManifest(sample, good));
    const bad = join(dir, 'bad.json');
    await writeFile(bad, sample.slice(0, 100));
    const error = await readPackedManifestFile(bad, 'baseline').catch((e: unknown) => e);
    expect((error as InputError).message).toContain(`${bad} is not valid JSON`);
  });

  it('stops between chunks when aborted, throwing the abort as it is', async () => {
    const controller = new AbortController();
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(sample.slice(0, 50));
      controller.abort(new Error('interrupted'));
      yield Buffer.from(sample.slice(50));
    }
    await expect(readManifestStream(chunks(), 'm.json', controller.signal)).rejects.toThrow(
      'interrupted',
    );
  });
});

/** One `files` entry laid out as edgepurge writes it, its values spelled as given. */
function canonicalEntry(path: string, mtimeMs: string, sha256: string, size: string, type: string) {
  return (
    `    ${JSON.stringify(path)}: {\n` +
    `      "mtimeMs": ${mtimeMs},\n` +
    `      "sha256": ${JSON.stringify(sha256)},\n` +
    `      "size": ${size},\n` +
    `      "type": ${JSON.stringify(type)}\n` +
    '    }'
  );
}

function canonicalText(entries: readonly string[]): string {
  const files = entries.length === 0 ? '{}' : `{\n${entries.join(',\n')}\n  }`;
  return `{\n  "createdAt": "x",\n  "files": ${files},\n  "generator": "t",\n  "version": 2\n}\n`;
}

/** The manifest both readers make of `source`, or the refusal both give, message and all. */
function expectSameAsParseManifest(source: string): void {
  const read = (parse: () => unknown) => {
    try {
      return { ok: parse() };
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      return { code: error.code, message: error.message, at: error.at, hint: error.hint };
    }
  };
  const plain = read(() => parseManifest(source, 'm.json'));
  const packed = read(() => unpackManifest(parsePackedManifest(source, 'm.json')));
  const message = (plain as { message?: string }).message ?? '';
  // Invalid JSON is refused by both, in words of their own (JSON.parse's, or the reader's, which
  // may name another fault first: it cannot look past the first value that is not an object).
  if (message.includes(' is not valid JSON: ')) {
    expect(packed, source).toMatchObject({ code: 'E_MANIFEST', at: 'm.json' });
  } else if (message.endsWith(' is listed twice') || /: files\["\d+"\] /.test(message)) {
    // The reader names the first bad entry in the file; parseManifest the first in JavaScript's
    // key order (integer keys first), and a key listed twice before a bad entry listed earlier.
    expect(packed, source).toMatchObject({ code: 'E_MANIFEST' });
  } else expect(packed, source).toEqual(plain);
}

describe('the reader of entries laid out as edgepurge writes them', () => {
  const sha = 'c'.repeat(64);
  const good = canonicalText([
    canonicalEntry('a/b.html', '1796095047775.6052', sha, '100', 'text/html; charset=utf-8'),
    canonicalEntry('a/c.css', '1796095047775', 'd'.repeat(64), '0', 'text/css'),
    canonicalEntry('a/é.txt', '0.5', sha, '7', 'text/plain'),
    canonicalEntry('a/z ~\u007f!', '12', sha, '9007199254740991', 'text/html; charset=utf-8'),
    canonicalEntry('b', '1e3', sha, '1', 't\u00e9'),
    canonicalEntry('c', '1', sha, '2', 't"q'),
  ]);

  it('reads what parseManifest reads, whatever the chunk boundary', async () => {
    const bytes = Buffer.from(good);
    const expected = parseManifest(good, 'm.json');
    expect(unpackManifest(parsePackedManifest(bytes, 'm.json'))).toEqual(expected);
    for (let cut = 1; cut < bytes.length; cut++) {
      const read = await readManifestStream(
        (async function* () {
          yield bytes.subarray(0, cut);
          yield bytes.subarray(cut);
        })(),
        'm.json',
      );
      expect(unpackManifest(read), `cut at ${cut}`).toEqual(expected);
    }
  });

  it('reads keys and types of any UTF-8, valid or not, as parseManifest reads the text', () => {
    const source = Buffer.from(
      canonicalText([
        canonicalEntry('a/\u00ff-x', '1', sha, '1', 'text/\u00ff'),
        canonicalEntry('b/😀', '1', sha, '2', 'text/plain'),
        canonicalEntry('c', '1', sha, '3', 'text/\u00ff'),
      ]),
    );
    // U+00FF is two bytes (c3 bf): put a lone 0xff, a lone continuation byte and a cut sequence.
    const bytes = Buffer.from(
      source
        .toString('latin1')
        .replace('a/\u00c3\u00bf-x', 'a/\u00ff\u00bf-\u00e2x')
        .replace('text/\u00c3\u00bf', 'text/\u00ff'),
      'latin1',
    );
    expect(bytes.includes(0xff)).toBe(true);
    const expected = parseManifest(bytes.toString('utf8'), 'm.json');
    expect(Object.keys(expected.files)[0]).toBe('a/\ufffd\ufffd-\ufffdx');
    expect(unpackManifest(parsePackedManifest(bytes, 'm.json'))).toEqual(expected);
    // Two keys that differ only in invalid bytes are the same path once decoded.
    const twice = Buffer.from(
      canonicalText([
        canonicalEntry('a\u00fe', '1', sha, '1', 't'),
        canonicalEntry('a\u00ff', '1', sha, '1', 't'),
      ]),
      'latin1',
    );
    expectSameAsParseManifest(twice.toString('utf8'));
    expect(() => parsePackedManifest(twice, 'm.json')).toThrow('files["a\ufffd"] is listed twice');
    const compact = Buffer.from(text({ 'a\u00fe': entry, 'a\u00ff': entry }), 'latin1');
    expect(() => parsePackedManifest(compact, 'm.json')).toThrow(
      'files["a\ufffd"] is listed twice',
    );
  });

  it('reads every number as JSON.parse does, or refuses it as parseManifest does', () => {
    fc.assert(
      fc.property(numberText, numberText, (mtimeMs, size) => {
        const source = canonicalText([
          canonicalEntry('a', '1', sha, '1', 't'),
          canonicalEntry('b', mtimeMs, sha, size, 't'),
        ]);
        expectSameAsParseManifest(source);
        const expected = JSON.parse(mtimeMs) as number;
        const sizeValue = JSON.parse(size) as number;
        if (!Number.isFinite(expected) || !Number.isSafeInteger(sizeValue) || sizeValue < 0) {
          return;
        }
        const read = parsePackedManifest(source, 'm.json').files;
        expect(Object.is(read.mtimes[1], expected), `${mtimeMs} read as ${read.mtimes[1]}`).toBe(
          true,
        );
        expect(read.sizes[1]).toBe(sizeValue);
      }),
      { numRuns: 10_000 },
    );
  });

  it.each([
    '01',
    '-1',
    '-0',
    '1.',
    '.5',
    '1.5',
    '1e3',
    '1E+3',
    '0.0',
    '9007199254740993',
    '1234567890123456',
  ])('refuses or reads a size of %s as parseManifest does', (size) => {
    expectSameAsParseManifest(
      canonicalText([
        canonicalEntry('a', '1', sha, size, 't'),
        canonicalEntry('b', '1', sha, '1', 't'),
      ]),
    );
  });

  it.each([
    '/etc/passwd',
    '../x',
    'a/../../b',
    'a//b',
    'a/./b',
    './a',
    'a/',
    '',
    'C:x',
    'z:/x',
    '..\\x',
    'a\u0001',
  ])('refuses the path %j as parseManifest does', (path) => {
    expectSameAsParseManifest(
      canonicalText([
        canonicalEntry(path, '1', sha, '1', 't'),
        canonicalEntry('b', '1', sha, '1', 't'),
      ]),
    );
  });

  it('agrees with parseManifest on generated and damaged manifests, in any chunks', async () => {
    // Mostly what edgepurge writes, so most entries take the fast path; then anything near it.
    const hex = fc.stringMatching(/^[0-9a-f]{64}$/);
    const plainPath = fc.stringMatching(/^[a-z][a-z0-9~ -]{0,3}(\/[a-z0-9.~ -]{1,4}){0,3}$/);
    const oddPath = fc
      .array(
        fc.constantFrom('a', 'b', '.', '/', ':', 'C', ' ', '\\', '"', 'é', '\u0001', '\u007f'),
        { maxLength: 6 },
      )
      .map((parts) => parts.join(''));
    const entryFields = fc.record({
      path: fc.oneof({ arbitrary: plainPath, weight: 4 }, oddPath),
      mtimeMs: fc.oneof(
        fc.constantFrom('1796095047775.6052', '1796095047775', '0', '0.5'),
        numberText,
        fc.constantFrom('"1"', 'null'),
      ),
      sha256: fc.oneof(
        { arbitrary: hex, weight: 4 },
        hex.map((h) => h.toUpperCase()),
        fc.constantFrom('', 'zz', `${'a'.repeat(63)}g`),
      ),
      size: fc.oneof(
        { arbitrary: fc.nat().map(String), weight: 3 },
        numberText,
        fc.constantFrom('"1"', 'true'),
      ),
      type: fc.constantFrom('text/html', 'text/css', 't\u00e9', 't"', '', 'text/html'),
    });
    const manifestText = fc
      .uniqueArray(entryFields, { maxLength: 8, selector: (e) => e.path })
      .map((entries) =>
        canonicalText(
          entries
            .sort((a, b) => comparePaths(a.path, b.path))
            .map((e) => canonicalEntry(e.path, e.mtimeMs, e.sha256, e.size, e.type)),
        ),
      );
    const damaged = fc
      .tuple(
        manifestText,
        fc.nat(),
        fc.constantFrom(...' "{}[],:\\0-9eaz\u00e9\n'.split('')),
        fc.boolean(),
      )
      .map(([source, at, char, insert]) => {
        const k = at % source.length;
        return source.slice(0, k) + char + source.slice(insert ? k : k + 1);
      });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(manifestText, damaged),
        fc.integer({ min: 1, max: 300 }),
        async (source, size) => {
          expectSameAsParseManifest(source);
          const whole = outcome(() => unpackManifest(parsePackedManifest(source, 'm.json')));
          const chunked = await readManifestStream(
            inChunks(Buffer.from(source), size),
            'm.json',
          ).then(
            (read) => ({ ok: unpackManifest(read) }),
            (error: unknown) =>
              outcome(() => {
                throw error;
              }),
          );
          expect(chunked).toEqual(whole);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('the Node internals the reader relies on', () => {
  // json-cursor.ts and http1-parser.ts call Buffer's own decoders directly (undocumented, a
  // third faster per string): a Node release without them must fail here, not in a deploy.
  it('Buffer.prototype has utf8Slice and latin1Slice, equal to toString', () => {
    const bytes = Buffer.from('aé€b', 'utf8') as Buffer & {
      utf8Slice(start: number, end: number): string;
      latin1Slice(start: number, end: number): string;
    };
    expect(bytes.utf8Slice(1, 6)).toBe(bytes.toString('utf8', 1, 6));
    expect(bytes.latin1Slice(0, 3)).toBe(bytes.toString('latin1', 0, 3));
  });
});
