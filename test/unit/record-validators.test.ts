import { describe, expect, it } from 'vitest';
import {
  emptyManifest,
  type Manifest,
  parseManifest,
  serializeManifest,
} from '../../src/manifest/manifest.ts';
import { oldValidators } from '../../src/verify/checks/old-validators.ts';
import { recordValidators } from '../../src/verify/record-validators.ts';
import type { UrlReport } from '../../src/verify/report-types.ts';

const BASE = 'https://www.example.test';
const entry = { size: 1, mtimeMs: 1000, sha256: 'a'.repeat(64), type: 'text/plain' };
const release = (validators?: Manifest['validators'], baseUrl = BASE): Manifest => ({
  ...emptyManifest(),
  baseUrl,
  files: { 'a.txt': entry, 'b.txt': entry },
  ...(validators === undefined ? {} : { validators }),
});
const url = (
  path: string,
  extra: Partial<UrlReport> = {},
  validators?: UrlReport['validators'],
): UrlReport => ({
  url: `${BASE}${path}`,
  path: path.slice(1),
  kind: 'serves',
  fresh: true,
  checks: [],
  diagnosis: 'fresh',
  attempts: 1,
  cache: {},
  ...(validators === undefined ? {} : { validators }),
  ...extra,
});

describe('recordValidators: what the saved baseline records', () => {
  it('a first deploy records what the edge served for each verified URL', () => {
    const next = recordValidators(release(), emptyManifest(), {
      urls: [
        url('/a.txt', {}, { etag: '"a1"', lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT' }),
        url('/b.txt', {}, { etag: '"b1"' }),
      ],
    });
    expect(next.validators).toEqual({
      [`${BASE}/a.txt`]: { etag: '"a1"', lastModified: 'Mon, 01 Jan 2024 00:00:00 GMT' },
      [`${BASE}/b.txt`]: { etag: '"b1"' },
    });
    // Saved and read back: the same record, as version 2.
    const text = serializeManifest(next);
    expect(JSON.parse(text).version).toBe(2);
    expect(parseManifest(text, 'baseline.json').validators).toEqual(next.validators);
  });

  it('carries unchanged URLs, replaces verified ones, drops removed ones and those verified without validators', () => {
    const previous = release({
      [`${BASE}/a.txt`]: { etag: '"a1"' },
      [`${BASE}/b.txt`]: { etag: '"b1"' },
      [`${BASE}/gone.txt`]: { etag: '"g1"' },
      [`${BASE}/c.txt`]: { etag: '"c1"' },
    });
    const next = recordValidators(release(), previous, {
      urls: [
        url('/b.txt', {}, { etag: '"b2"' }),
        url('/gone.txt', { kind: 'removed' }),
        url('/c.txt'),
      ],
    });
    expect(next.validators).toEqual({
      [`${BASE}/a.txt`]: { etag: '"a1"' },
      [`${BASE}/b.txt`]: { etag: '"b2"' },
    });
  });

  it('a new base URL starts the record afresh; a stale URL records nothing', () => {
    const previous = release(
      { 'https://old.example.test/a.txt': { etag: '"a1"' } },
      'https://old.example.test',
    );
    const next = recordValidators(release(), previous, {
      urls: [url('/b.txt', { fresh: false }, { etag: '"b2"' })],
    });
    expect(next.validators).toEqual({});
    expect(JSON.parse(serializeManifest(next))).not.toHaveProperty('validators');
  });
});

describe('oldValidators: the validators a changed URL is asked with', () => {
  const NEW = 'b'.repeat(64);
  const OLD = 'c'.repeat(64);
  const target = { sha256: NEW, changed: true, validatorKept: false };
  const snap = (sha256: string, etag?: string, lastModified?: string) => ({
    status: 200,
    sha256,
    ...(etag === undefined ? {} : { etag }),
    ...(lastModified === undefined ? {} : { lastModified }),
  });

  it.each([
    {
      name: 'recorded only, no snapshot',
      snapshot: undefined,
      recorded: { etag: '"v1"' },
      now: { etag: '"v2"' },
      etags: [['"v1"', 'recorded', true]],
    },
    {
      name: 'snapshot of the old bytes only',
      snapshot: snap(OLD, '"v1"'),
      recorded: undefined,
      now: { etag: '"v2"' },
      etags: [['"v1"', 'snapshot', true]],
    },
    {
      name: 'snapshot of the new bytes under the old ETag (a failed run), no record',
      snapshot: snap(NEW, '"v1"'),
      recorded: undefined,
      now: { etag: '"v2"' },
      etags: [['"v1"', 'snapshot', false]],
    },
    {
      name: 'snapshot of the new bytes under the current ETag: nothing to ask',
      snapshot: snap(NEW, 'W/"v2"'),
      recorded: undefined,
      now: { etag: '"v2"' },
      etags: [],
    },
    {
      name: 'recorded and snapshot equal (weakly): asked once, as recorded',
      snapshot: snap(OLD, 'W/"v1"'),
      recorded: { etag: '"v1"' },
      now: { etag: '"v2"' },
      etags: [['"v1"', 'recorded', true]],
    },
  ])('$name', ({ snapshot, recorded, now, etags }) => {
    const old = oldValidators(target, snapshot, recorded, now);
    expect(old.etags.map((e) => [e.value, e.source, e.mustChange])).toEqual(etags);
  });

  it('an added file (no previous bytes) ignores a record; dates follow the same rules', () => {
    const added = oldValidators({ ...target, changed: false }, undefined, { etag: '"x"' }, {});
    expect(added).toEqual({ etags: [], dates: [] });
    const dates = oldValidators(
      target,
      snap(NEW, undefined, 'Mon, 01 Jan 2024 00:00:00 GMT'),
      { lastModified: 'Sun, 31 Dec 2023 00:00:00 GMT' },
      { lastModified: 'Tue, 02 Jan 2024 00:00:00 GMT' },
    );
    expect(dates.dates.map((d) => [d.value, d.source])).toEqual([
      ['Sun, 31 Dec 2023 00:00:00 GMT', 'recorded'],
      ['Mon, 01 Jan 2024 00:00:00 GMT', 'snapshot'],
    ]);
  });
});
