import { resolve } from 'node:path';
import { openBaselineStore } from '../github/open-baseline-store.ts';
import { writePlanDocument } from '../pipeline/plan-document.ts';
import { planRelease } from '../pipeline/plan-release.ts';
import { countRequests } from '../plan/plan-purges.ts';
import { renderPlanMarkdown } from '../report/render-plan-markdown.ts';
import type { StepContext, StepOutcome } from './step.ts';

/**
 * The plan step: what deploy would do, as the CLI's `plan` computes it. Sends no purge and
 * writes nothing but the summary, on a pull request the one sticky plan comment, and with input
 * `plan` the plan document a deploy step applies.
 */
export async function planStep(context: StepContext): Promise<StepOutcome> {
  const { config, inputs, env, log, redactor, signal, github } = context;
  const token = inputs.githubToken;
  const store = await openBaselineStore(config, { env, log, token, redactor });
  const { release, document } = await planRelease(config, { env, log, signal, store, redactor });
  if (inputs.plan !== undefined) {
    const out = resolve(env.GITHUB_WORKSPACE || process.cwd(), inputs.plan);
    await writePlanDocument(out, document);
    log.info(`plan: written to ${out}; a deploy step with input plan applies it exactly`);
  }
  const markdown = renderPlanMarkdown({
    environment: config.environment,
    diff: release.diff,
    plan: release.plan,
    toTouch: release.toTouch,
    baseline: document.baseline,
  });
  await github.comment(markdown);
  const diff = release.diff;
  return {
    ok: true,
    document,
    outputs: {
      ok: true,
      changed: diff.added.length + diff.changed.length + diff.removed.length,
      purgedUrls: 0,
      requests: countRequests(release.plan),
      verified: 0,
      staleUrls: [],
      baselineSaved: false,
    },
    summary: markdown,
  };
}
