import { describe, expect, it } from 'vitest';
import type { PurgePlan } from '../../src/plan/plan-purges.ts';
import { type PlanView, renderPlanMarkdown } from '../../src/report/render-plan-markdown.ts';

const plan = (urls: string[]): PurgePlan => ({
  version: 1,
  baseUrl: 'https://www.example.com',
  urls: urls.length,
  providers: [
    {
      provider: 'cdn',
      type: 'cloudflare',
      entries: [{ kind: 'urls', urls, reason: 'hazard' }],
      requests: 1,
      lowerBound: 1,
      collateral: 0,
      minSeconds: 0,
    },
  ],
});

const view = (over: Partial<PlanView> = {}): PlanView => ({
  environment: 'production',
  diff: {
    added: ['new.html'],
    changed: ['assets/app.js'],
    removed: [],
    unchanged: 10,
    hazards: [{ path: 'assets/app.js', kind: 'validator-unchanged' }],
  },
  plan: plan(['https://www.example.com/assets/app.js']),
  toTouch: ['assets/app.js'],
  baseline: { path: 'github:edgepurge-state (production)', found: true },
  ...over,
});

describe('renderPlanMarkdown', () => {
  it('shows the counts, the hazard, the file to touch and each request with its reason', () => {
    const md = renderPlanMarkdown(view());
    expect(md).toContain('### edgepurge plan for `production`');
    expect(md).toContain('| 1 | 1 | 0 | 10 | 1 | 1 | 1 | 1 |');
    expect(md).toContain('- `assets/app.js`: content changed, size and mtime did not');
    expect(md).toContain('#### Files the fix touches (new mtime)');
    expect(md).toContain('#### cdn (cloudflare): 1 requests');
    expect(md).toContain('- **hazard**: 1 urls: `https://www.example.com/assets/app.js`');
  });

  it('says when there is no baseline yet', () => {
    const md = renderPlanMarkdown(
      view({ baseline: { path: '.edgepurge/baseline.json', found: false }, plan: plan([]) }),
    );
    expect(md).toContain('No baseline at `.edgepurge/baseline.json` yet');
  });

  it('file names cannot break the Markdown (escaped in code spans and text)', () => {
    const md = renderPlanMarkdown(
      view({ toTouch: ['a|b`c.html'], diff: { ...view().diff, hazards: [] } }),
    );
    expect(md).toContain('- ``a\\|b`c.html``');
  });

  it('a plan longer than a comment may be is cut at a line, with a note', () => {
    const urls = Array.from({ length: 3000 }, (_, i) => `https://www.example.com/p/${i}.html`);
    const many: PurgePlan = {
      ...plan([]),
      urls: urls.length,
      providers: [
        {
          ...(plan([]).providers[0] as PurgePlan['providers'][number]),
          entries: urls.map((url) => ({
            kind: 'urls' as const,
            urls: [url],
            reason: 'changed' as const,
          })),
        },
      ],
    };
    const md = renderPlanMarkdown(view({ plan: many }), 5_000);
    expect(md.length).toBeLessThanOrEqual(5_000);
    expect(md).toMatch(/_… cut: the plan is longer than a comment may be;.*_\n$/);
  });
});
