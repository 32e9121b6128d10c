import { describe, expect, it } from 'vitest';
import { MAX_ANNOTATIONS, reportAnnotations } from '../../src/action/report-annotations.ts';
import { freshUrl, policyWarnedUrl, staleUrl, verifyReport } from '../support/report-fixtures.ts';

// Which file an annotation lands on: the file in the publish directory that serves the URL,
// relative to the workspace, as GitHub matches `file=` against the checkout. The commands
// themselves are checked on the real stack in test/e2e/action.test.ts.
describe('annotations from a verification report', () => {
  const workspace = '/home/runner/work/site/site';
  const dir = `${workspace}/public`;

  it('a stale URL is an error on its file; a policy warning a warning on its file', () => {
    const report = verifyReport([
      staleUrl('https://www.example.com/assets/app.js', 'edge-stale', 'ETag did not change'),
      policyWarnedUrl('https://www.example.com/assets/logo.png', 120, 'long max-age, no hash'),
      freshUrl('https://www.example.com/', 80, { path: 'index.html' }),
    ]);
    expect(reportAnnotations(report, dir, workspace)).toEqual([
      {
        level: 'error',
        title: 'edgepurge: stale',
        message: 'https://www.example.com/assets/app.js is stale: ETag did not change',
        file: 'public/assets/app.js',
      },
      {
        level: 'warning',
        title: 'edgepurge: cache-policy',
        message: expect.stringContaining('https://www.example.com/assets/logo.png: expected'),
        file: 'public/assets/logo.png',
      },
    ]);
  });

  it('a removed file (no file to point at) and a directory outside the workspace get no file=', () => {
    const removed = staleUrl('https://www.example.com/old.html', 'edge-stale', 'still served', {
      kind: 'removed',
    });
    const [gone] = reportAnnotations(verifyReport([removed]), dir, workspace);
    expect(gone).not.toHaveProperty('file');
    const app = staleUrl('https://www.example.com/assets/app.js', 'unknown', 'stale');
    const [outside] = reportAnnotations(verifyReport([app]), '/srv/www', workspace);
    expect(outside).not.toHaveProperty('file');
  });

  it(`past ${MAX_ANNOTATIONS} stale URLs the rest are counted in one line`, () => {
    const urls = Array.from({ length: MAX_ANNOTATIONS + 7 }, (_, i) =>
      staleUrl(`https://www.example.com/p${i}.html`, 'edge-stale', 'stale'),
    );
    const annotations = reportAnnotations(verifyReport(urls), dir, workspace);
    expect(annotations).toHaveLength(MAX_ANNOTATIONS + 1);
    expect(annotations.at(-1)?.message).toMatch(/^… and 7 more/);
  });
});
