import { describe, expect, it } from 'vitest';
import type { PurgePlan } from '../../src/plan/plan-purges.ts';
import { emptySummary } from '../../src/purge/execute-plan.ts';
import { renderHtml } from '../../src/report/render-html.ts';
import { renderMarkdown } from '../../src/report/render-markdown.ts';
import { renderPlanMarkdown } from '../../src/report/render-plan-markdown.ts';
import { renderPlanText, renderPurgeText } from '../../src/report/render-text.ts';
import { deployContext, freshUrl, verifyReport } from '../support/report-fixtures.ts';

const plan: PurgePlan = {
  version: 3,
  baseUrl: 'https://x.test',
  urls: 2,
  providers: [
    {
      provider: 'shield',
      type: 'varnish',
      entries: [
        {
          kind: 'urls',
          urls: ['https://x.test/old.js'],
          reason: 'hazard',
          mode: 'hard',
          modeReason: 'validator-unchanged',
        },
        {
          kind: 'urls',
          urls: ['https://x.test/app.js'],
          reason: 'changed',
          mode: 'soft',
          modeReason: 'validator-changed',
        },
      ],
      requests: 2,
      lowerBound: 1,
      collateral: 0,
      minSeconds: 0,
      mode: 'auto',
    },
    {
      provider: 'edge',
      type: 'fastly',
      entries: [
        {
          kind: 'urls',
          urls: ['https://x.test/old.js', 'https://x.test/app.js'],
          reason: 'changed',
          mode: 'hard',
          modeReason: 'mode-hard',
        },
      ],
      requests: 1,
      lowerBound: 1,
      collateral: 0,
      minSeconds: 0,
      mode: 'hard',
      repurge: { afterSeconds: 2 },
    },
  ],
};
const rounds = [
  { provider: 'shield', round: 1, batches: 2 },
  { provider: 'edge', round: 1, batches: 1 },
  { provider: 'edge', round: 2, batches: 1, waitedMs: 2000 },
];

describe('reports say which mode and why, and the order the purge ran in', () => {
  it('plan text: the mode and its reason per line, a legend, the shield round', () => {
    const text = renderPlanText(plan, []);
    expect(text).toContain('shield (varnish): 2 batches, purge.mode auto');
    expect(text).toContain('  https://x.test/old.js  (hazard, hard: validator-unchanged)');
    expect(text).toContain('  https://x.test/app.js  (changed, soft: validator-changed)');
    expect(text).toContain(
      'edge (fastly): 1 batch, purge.mode hard, then all again after 2 s (shield)',
    );
    expect(text).toContain(
      'validator-unchanged: the validator did not change: a revalidation would answer 304 and keep the old bytes',
    );
  });

  it('plan Markdown: a sentence per entry, the shield line', () => {
    const md = renderPlanMarkdown({
      environment: 'production',
      diff: { added: [], changed: ['app.js', 'old.js'], removed: [], unchanged: 0, hazards: [] },
      plan,
      toTouch: [],
      baseline: { path: 'b.json', found: true },
    });
    expect(md).toContain(
      '- **changed**: 1 urls: `https://x.test/app.js` _(soft: the validator changes: revalidation fetches the new bytes)_',
    );
    expect(md).toContain('Shielded: the same 1 requests again 2 s later.');
  });

  it('purge text, deploy Markdown and HTML: the turns as they ran, the mode of each entry', () => {
    const purge = { ...emptySummary(), requests: 4, urls: 2, rounds };
    expect(renderPurgeText(purge)).toContain('order: shield, edge, edge again after 2 s (round 2)');
    expect(renderPurgeText(emptySummary())).not.toContain('order:');
    const deploy = deployContext({ purge, plan });
    const md = renderMarkdown(verifyReport([freshUrl('https://x.test/app.js', 900)]), deploy);
    expect(md).toContain('Purge order: shield, edge, edge again after 2 s (round 2).');
    expect(md).toContain('| provider | kind | reason | mode | targets |');
    expect(md).toContain('| shield | urls | changed | soft: validator-changed |');
    const html = renderHtml(verifyReport([freshUrl('https://x.test/app.js', 900)]), deploy);
    expect(html).toContain('<th>Mode</th>');
    expect(html).toContain('<td>hard: validator-unchanged</td>');
  });
});
