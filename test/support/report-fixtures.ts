import { emptySummary } from '../../src/purge/execute-plan.ts';
import type { DeployContext } from '../../src/report/summarize-report.ts';
import type {
  Check,
  CheckId,
  Diagnosis,
  UrlReport,
  VerifyReport,
} from '../../src/verify/report-types.ts';

/** A passing check, or a failing one when `seen` differs and `ok: false` is given. */
export function check(
  id: CheckId,
  url: string,
  over: Partial<Omit<Check, 'id' | 'url'>> = {},
): Check {
  return { id, url, severity: 'error', ok: true, expected: 'ok', seen: 'ok', ...over };
}

/** A URL that turned fresh after `ms` milliseconds. */
export function freshUrl(url: string, ms: number, over: Partial<UrlReport> = {}): UrlReport {
  return {
    url,
    path: pathOf(url),
    kind: 'serves',
    fresh: true,
    checks: [check('body', url), check('etag-changed', url)],
    diagnosis: 'fresh',
    timeToFreshMs: ms,
    attempts: 1,
    cache: { 'x-cache': 'MISS', age: '0' },
    ...over,
  };
}

/** A URL still stale at the end, with the failed body check that made it so. */
export function staleUrl(
  url: string,
  diagnosis: Exclude<Diagnosis, 'fresh'>,
  reason: string,
  over: Partial<UrlReport> = {},
): UrlReport {
  return {
    url,
    path: pathOf(url),
    kind: 'serves',
    fresh: false,
    checks: [
      check('body', url, {
        ok: false,
        expected: 'sha256 9f2c…',
        seen: 'sha256 41ab…',
        message: reason,
      }),
    ],
    diagnosis,
    reason,
    attempts: 12,
    cache: { 'x-cache': 'HIT', age: '86400' },
    ...over,
  };
}

/** A fresh URL whose cache-policy check warned. */
export function policyWarnedUrl(url: string, ms: number, message: string): UrlReport {
  return freshUrl(url, ms, {
    checks: [
      check('body', url),
      check('cache-policy', url, {
        severity: 'warning',
        ok: false,
        expected: 'max-age <= 86400 with revalidation, or a content-hash file name',
        seen: 'public, max-age=31536000',
        message,
      }),
    ],
  });
}

/** A report over `urls` whose totals (ok, stale, warnings) follow from them. */
export function verifyReport(
  urls: readonly UrlReport[],
  over: Partial<VerifyReport> = {},
): VerifyReport {
  const stale = urls
    .filter((url) => !url.fresh)
    .map((url) => ({ url: url.url, reason: url.reason ?? 'stale', diagnosis: url.diagnosis }));
  return {
    ok: stale.length === 0,
    checked: urls.length,
    stale,
    warnings: urls.flatMap((url) => url.checks.filter((c) => c.severity === 'warning' && !c.ok)),
    urls,
    startedAt: '2025-05-01T12:00:00.000Z',
    durationMs: Math.max(1000, ...urls.map((url) => url.timeToFreshMs ?? 0)) + 500,
    ...over,
  };
}

export function deployContext(over: Partial<DeployContext> = {}): DeployContext {
  return {
    dryRun: false,
    diff: {
      added: ['assets/new.js'],
      changed: ['index.html', 'assets/app.js'],
      removed: [],
      unchanged: 40,
      hazards: [{ path: 'assets/app.js', kind: 'validator-unchanged' }],
    },
    fixed: { touched: ['assets/app.js'] },
    purge: { ...emptySummary(), requests: 3, urls: 5 },
    baseline: { saved: true, path: '/site/.edgepurge/baseline.json' },
    ...over,
  };
}

/**
 * A realistic report of `count` URLs for screenshots and size tests: most fresh within a second
 * or two of the purge, a tail that needed polling, a few stale at the edge or the origin, some
 * policy warnings. Deterministic for a given seed.
 */
export function sampleReport(count = 48, seed = 7): VerifyReport {
  let state = seed >>> 0 || 1;
  const random = (): number => {
    // xorshift32: deterministic, good enough for sample data
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const names = ['index.html', 'about/index.html', 'blog/index.html', 'docs/getting-started.html'];
  const urls: UrlReport[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 6;
    const path =
      kind === 0
        ? (names[i % names.length] ?? 'index.html')
        : kind === 1
          ? `assets/app-${i}.js`
          : kind === 2
            ? `assets/chunk-${i}.${(0x3f9a1c2b + i * 7919).toString(16)}.js`
            : kind === 3
              ? `img/photo-${i}.webp`
              : kind === 4
                ? `css/site-${i}.css`
                : `docs/page-${i}/index.html`;
    const url = `https://www.example.com/${path.replace(/index\.html$/, '')}`;
    const cache = {
      'x-cache': random() < 0.7 ? 'MISS' : 'HIT',
      age: String(Math.floor(random() * 5)),
      via: '1.1 varnish (Varnish/7.1)',
    };
    if (i === 5 || i === 17)
      urls.push(
        staleUrl(
          url,
          'edge-stale',
          'the edge still serves the old ETag "5f1e-6389a1c2" and answers 304 to it',
          { path, cache: { 'x-cache': 'HIT', age: '3600', via: cache.via } },
        ),
      );
    else if (i === 29)
      urls.push(
        staleUrl(url, 'origin-stale', 'the origin serves the old bytes: the upload did not land', {
          path,
        }),
      );
    else if (kind === 1 && i % 4 === 1)
      urls.push(
        policyWarnedUrl(
          url,
          Math.round(200 + random() * 900),
          'max-age=31536000 (365 days) on a file name without a content hash: the next deploy will be stale again until max-age runs out: use content-hash file names, or a short max-age with revalidation',
        ),
      );
    else {
      // Most land in the first poll; every seventh needed a few backoff rounds.
      const slow = i % 7 === 3;
      const ms = slow ? 1500 + random() * 6500 : 80 + random() * random() * 900;
      urls.push(freshUrl(url, Math.round(ms), { path, cache, attempts: slow ? 3 + (i % 4) : 1 }));
    }
  }
  return verifyReport(urls, { durationMs: 30_000 });
}

function pathOf(url: string): string {
  const path = new URL(url, 'https://x.invalid').pathname.slice(1);
  return path === '' || path.endsWith('/') ? `${path}index.html` : path;
}
