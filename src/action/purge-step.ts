import { InputError } from '../errors.ts';
import { manualPurgePlan, manualPurgeTargets } from '../pipeline/manual-purge-targets.ts';
import { createProviders, dryRunProvider, type RecordedCall } from '../providers/index.ts';
import { executePlan, type PurgeSummary } from '../purge/execute-plan.ts';
import { repurgeAfterOf } from '../purge/purge-rounds.ts';
import { text } from '../report/render-markdown.ts';
import type { StepContext, StepOutcome } from './step.ts';

const LABELS = {
  urls: 'urls',
  prefixes: 'prefixes',
  tags: 'tags',
  hosts: 'hosts',
  provider: 'providers',
  usage: 'set the `urls`, `prefixes`, `tags` or `hosts` input (one a line), or `everything: true`',
};

/**
 * The purge step: the CLI's manual `purge` through the configured providers. In a workflow the
 * `everything` input is the confirmation the CLI asks for on a terminal.
 */
export async function purgeStep(context: StepContext): Promise<StepOutcome> {
  const { config, inputs, env, log, redactor, signal, github } = context;
  const { targets, baseUrl } = manualPurgeTargets(
    {
      urls: inputs.urls,
      prefixes: inputs.prefixes,
      tags: inputs.tags,
      hosts: inputs.hosts,
      everything: inputs.everything,
    },
    config.baseUrl,
    LABELS,
  );
  if (config.providers.length === 0) {
    throw new InputError('E_CONFIG', 'no providers configured', {
      at: 'providers',
      hint: 'add one to "providers" in the config',
    });
  }
  const calls: RecordedCall[] = [];
  const real = createProviders(config.providers, env, { credentials: !inputs.dryRun, redactor });
  const providers = inputs.dryRun ? real.map((p) => dryRunProvider(p, calls)) : real;
  const plan = manualPurgePlan(targets, providers, baseUrl, LABELS, {
    mode: config.purge.mode,
    repurgeAfter: repurgeAfterOf(config.providers),
  });
  if (!inputs.dryRun) await github.started(`purging ${config.environment}`);
  const purge = await executePlan(plan, providers, {
    signal,
    log,
    maxWaitSeconds: config.purge.maxWaitSeconds,
  }).finally(() => Promise.all(real.map((provider) => provider.close?.())));
  const ok = purge.failed.length === 0;
  const requests = calls.flatMap((call) => call.requests.map((l) => `${call.provider}: ${l}`));
  for (const line of requests) log.info(`would send ${line}`);
  const description = `${ok ? 'purged' : 'purge failed'}: ${purge.urls} URLs, ${purge.prefixes} prefixes in ${purge.requests} requests`;
  if (!inputs.dryRun) await github.finished(ok ? 'success' : 'failure', description);
  const first = purge.failed[0];
  return {
    ok,
    document: { ok, dryRun: inputs.dryRun, plan, purge, ...(inputs.dryRun ? { requests } : {}) },
    outputs: {
      ok,
      changed: 0,
      purgedUrls: purge.urls,
      requests: purge.requests,
      verified: 0,
      staleUrls: [],
      baselineSaved: false,
    },
    summary: purgeMarkdown(purge, inputs.dryRun, requests),
    ...(first === undefined
      ? {}
      : { error: { code: first.code, message: first.error, hint: first.hint } }),
  };
}

function purgeMarkdown(purge: PurgeSummary, dryRun: boolean, requests: readonly string[]): string {
  const icon = dryRun ? '🧪' : purge.failed.length === 0 ? '✅' : '❌';
  const lines = [
    `### ${icon} edgepurge purge${dryRun ? ' (dry run, nothing sent)' : ''}`,
    '',
    `${purge.urls} URLs, ${purge.prefixes} prefixes, ${purge.tags} tags in ${purge.requests} requests.`,
    '',
    ...purge.failed.map((f) => `- purge failed on ${text(f.provider)}: ${text(f.error)}`),
    ...requests.slice(0, 200).map((line) => `- would send ${text(line)}`),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}
