import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { readPackedManifestFile } from '../../src/manifest/baseline-file.ts';
import { MAX_DEPTH } from '../../src/manifest/json-cursor.ts';
import {
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
    const written = fc.oneof(
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
    );
    fc.assert(
      fc.property(written, (number) => {
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
