import { describe, expect, it } from 'vitest';
import type { ManifestDiff } from '../../src/manifest/diff-manifests.ts';
import {
  billedPaths,
  callerReference,
  collapsePaysForPaths,
  invalidationPathOf,
  invalidationPaths,
  prefixToInvalidationPath,
  urlToInvalidationPath,
} from '../../src/plan/cloudfront-paths.ts';
import { planPurges } from '../../src/plan/plan-purges.ts';
import {
  type CloudfrontConfig,
  checkCloudfrontPrefix,
  cloudfrontCapabilities,
  cloudfrontSchema,
  createCloudfrontProvider,
  credentialsFrom,
} from '../../src/providers/cloudfront.ts';
import { emptySummary } from '../../src/purge/execute-plan.ts';
import { invalidationLines } from '../../src/report/invalidation-lines.ts';
import { renderPurgeText } from '../../src/report/render-text.ts';

describe('CloudFront invalidation paths', () => {
  it.each([
    ['https://www.example.com/', '/'],
    ['https://www.example.com/a/b.css', '/a/b.css'],
    // A space and non-ASCII are encoded (the planner's URLs already are; kept as AWS wants).
    ['https://www.example.com/a%20b.html', '/a%20b.html'],
    ['https://www.example.com/caf%C3%A9/', '/caf%C3%A9/'],
    // RFC 1738 unsafe characters the WHATWG URL leaves bare: encoded.
    ['https://www.example.com/a~b/%7Bx%7D^.txt', '/a%7Eb/%7Bx%7D%5E.txt'],
    // Characters that are not unsafe stay as they are, even if the URL encoded them.
    ["https://www.example.com/it's%20(1)+@=&;.html", "/it's%20(1)+@=&;.html"],
    // An encoded slash inside a name stays encoded: decoding it would name another path.
    ['https://www.example.com/a%2Fb', '/a%2Fb'],
    ['https://www.example.com/search?q=1', '/search?q=1'],
  ])('%s → %s', (url, path) => {
    expect(urlToInvalidationPath(url)).toBe(path);
  });

  it('a prefix is the wildcard of its path; everything and a host are /*', () => {
    expect(prefixToInvalidationPath('www.example.com/assets/')).toBe('/assets/*');
    expect(prefixToInvalidationPath('www.example.com/caf\u00e9/')).toBe('/caf%C3%A9/*');
    expect(invalidationPaths({ kind: 'everything', hosts: ['www.example.com'] })).toEqual(['/*']);
    expect(invalidationPaths({ kind: 'hosts', hosts: ['a.example', 'b.example'] })).toEqual(['/*']);
  });

  it('URLs of two hosts with the same path are one path (the distribution has no host)', () => {
    expect(
      invalidationPaths({
        kind: 'urls',
        urls: ['https://a.example/x.css', 'https://b.example/x.css', 'https://a.example/y.css'],
      }),
    ).toEqual(['/x.css', '/y.css']);
  });

  it('keeps an already-encoded path as it is (idempotent)', () => {
    const once = invalidationPathOf('/a b/ü~.txt');
    expect(once).toBe('/a%20b/%C3%BC%7E.txt');
    expect(invalidationPathOf(once)).toBe(once);
  });

  it('CallerReference: the same run and paths give the same; another run or paths another', () => {
    const a = callerReference('run-1', 'E1', ['/a', '/b']);
    expect(callerReference('run-1', 'E1', ['/a', '/b'])).toBe(a);
    expect(callerReference('run-2', 'E1', ['/a', '/b'])).not.toBe(a);
    expect(callerReference('run-1', 'E1', ['/a'])).not.toBe(a);
    expect(callerReference('run-1', 'E2', ['/a', '/b'])).not.toBe(a);
    expect(a).toMatch(/^edgepurge-[0-9a-f]{40}$/);
  });
});

describe('the CloudFront cost model', () => {
  it.each([
    // paths, free left → billed
    [10, 1000, 0],
    [1200, 1000, 200],
    [10, 0, 10],
    [10, -5, 10],
  ])('%i paths with %i free: %i billed', (paths, free, billed) => {
    expect(billedPaths(paths, free)).toBe(billed);
  });

  it.each([
    // collapsed, exact, collateral, free → worth it
    [1, 5, 0, 1000, true], // fewer paths, nothing evicted needlessly: always
    [1, 5, 3, 1000, false], // collateral, and nothing billed either way: exact paths
    [1, 5, 3, 0, true], // every path billed: the wildcard saves 4
    [900, 1200, 3, 1000, true], // 200 billed → 0 billed
    [5, 5, 0, 0, false], // no fewer paths: no point
  ])(
    'collapsed %i vs exact %i, collateral %i, %i free → %s',
    (collapsed, exact, collateral, free, worth) => {
      expect(collapsePaysForPaths(collapsed, exact, collateral, free)).toBe(worth);
    },
  );
});

const diff = (over: Partial<ManifestDiff>): ManifestDiff => ({
  added: [],
  changed: [],
  removed: [],
  unchanged: 0,
  hazards: [],
  ...over,
});
const config = (over: Partial<CloudfrontConfig> = {}): CloudfrontConfig =>
  cloudfrontSchema.parse({ type: 'cloudfront', distributionId: 'E2QWRUHAPOMQZL', ...over });
const input = (maxCollateral: number, everythingAbove?: number) => ({
  baseUrl: 'https://www.example.com',
  urls: { cleanUrls: false, basePath: '/' },
  known: ['index.html', ...Array.from({ length: 8 }, (_, i) => `assets/${i}.css`)],
  strategy: { maxCollateral, everythingAbove, tags: [] },
});
// 6 of the 8 assets changed: a wildcard over assets/ evicts 2 unchanged files.
const release = diff({
  changed: ['index.html', ...Array.from({ length: 6 }, (_, i) => `assets/${i}.css`)],
  unchanged: 2,
});
const pathsOf = (plan: ReturnType<typeof planPurges>) =>
  (plan.providers[0]?.entries ?? []).flatMap((entry) => invalidationPaths(entry));

describe('planning for CloudFront', () => {
  it('free paths left: exact paths, no collateral', () => {
    const provider = createCloudfrontProvider(config());
    const plan = planPurges(release, [provider], input(2));
    expect(pathsOf(plan)).toEqual([
      '/',
      '/index.html',
      ...Array.from({ length: 6 }, (_, i) => `/assets/${i}.css`),
    ]);
    expect(plan.providers[0]?.collateral).toBe(0);
  });

  it('billed paths: /assets/* where the collateral is within purge.maxCollateral', () => {
    const provider = createCloudfrontProvider(config({ freePathsPerMonth: 0 }));
    const plan = planPurges(release, [provider], input(2));
    expect(pathsOf(plan).sort()).toEqual(['/', '/assets/*', '/index.html'].sort());
    expect(plan.providers[0]?.collateral).toBe(2);
    // …and not where it is beyond it.
    expect(pathsOf(planPurges(release, [provider], input(1)))).toHaveLength(8);
  });

  it('/* above purge.everythingAbove', () => {
    const provider = createCloudfrontProvider(config());
    const plan = planPurges(release, [provider], input(0, 5));
    expect(pathsOf(plan)).toEqual(['/*']);
  });

  it('capabilities follow the quotas: 3,000 paths and 15 wildcards per invalidation, one at a time', () => {
    expect(cloudfrontCapabilities(config({ freePathsPerMonth: 7 }))).toMatchObject({
      maxUrlsPerRequest: 3000,
      maxPrefixesPerRequest: 15,
      maxTagsPerRequest: 0,
      everything: true,
      concurrency: 1,
      billing: { perTarget: true, freePerMonth: 7 },
    });
  });

  it('refuses prefixes CloudFront cannot take as a wildcard', () => {
    expect(checkCloudfrontPrefix('www.example.com/blog/')).toBeUndefined();
    expect(checkCloudfrontPrefix('/blog/')).toContain('no hostname');
    expect(checkCloudfrontPrefix('www.example.com/b*g/')).toContain('*');
    expect(checkCloudfrontPrefix('https://www.example.com/')).toContain('scheme');
  });

  it('config: defaults, and a distribution ID that is not a domain', () => {
    expect(config()).toMatchObject({ wait: true, timeoutSeconds: 900, freePathsPerMonth: 1000 });
    expect(
      cloudfrontSchema.safeParse({ type: 'cloudfront', distributionId: 'd111.cloudfront.net' })
        .success,
    ).toBe(false);
  });

  it('credentials: static from the run environment when both keys are there, else the default chain', () => {
    expect(
      credentialsFrom({ AWS_ACCESS_KEY_ID: 'AKIA1', AWS_SECRET_ACCESS_KEY: 's3cr3t' }),
    ).toEqual({
      accessKeyId: 'AKIA1',
      secretAccessKey: 's3cr3t',
    });
    expect(credentialsFrom({ AWS_ACCESS_KEY_ID: 'AKIA1' })).toBeUndefined();
    expect(
      credentialsFrom({
        AWS_ACCESS_KEY_ID: 'A',
        AWS_SECRET_ACCESS_KEY: 'B',
        AWS_SESSION_TOKEN: 'C',
      }),
    ).toEqual({ accessKeyId: 'A', secretAccessKey: 'B', sessionToken: 'C' });
  });
});

describe('invalidations in the reports', () => {
  const purge = {
    ...emptySummary(),
    invalidations: [
      {
        provider: 'cloudfront',
        id: 'I2J0I21PCUYOIK',
        targets: 8,
        status: 'Completed',
        seconds: 41.5,
      },
      {
        provider: 'cloudfront',
        id: 'I3K1J32QDVZPJL',
        targets: 1,
        status: 'InProgress',
        seconds: 900,
        resumed: true,
      },
      {
        provider: 'cloudfront',
        id: 'I4L2K43REWAQKM',
        targets: 2,
        status: 'InProgress',
        seconds: 0,
        waited: false,
      },
    ],
  };

  it('one line each: id, how it ended, how long it took', () => {
    expect(invalidationLines(purge)).toEqual([
      'cloudfront: invalidation I2J0I21PCUYOIK Completed in 41.5 s (8 paths)',
      'cloudfront: invalidation I3K1J32QDVZPJL still InProgress after 900 s (1 path, started by an earlier run)',
      'cloudfront: invalidation I4L2K43REWAQKM InProgress, not waited for (2 paths)',
    ]);
    expect(invalidationLines(emptySummary())).toEqual([]);
  });

  it('the text report shows them under the purge line', () => {
    expect(renderPurgeText(purge)).toContain(
      '  cloudfront: invalidation I2J0I21PCUYOIK Completed in 41.5 s (8 paths)',
    );
  });
});
