import type { ManifestDiff } from '../manifest/diff-manifests.ts';
import type { OriginDecision } from '../pipeline/decide-origin-style.ts';
import type { DeployResult } from '../pipeline/result.ts';
import type { PlanEntry, PurgePlan } from '../plan/plan-purges.ts';
import { describeModeReason } from '../plan/purge-mode.ts';
import type { PurgeSummary } from '../purge/execute-plan.ts';
import type { VerifyReport } from '../verify/report-types.ts';
import type { VerifyResult } from '../verify/verify-release.ts';
import { invalidationLines } from './invalidation-lines.ts';
import { purgeOrderLine } from './plan-rows.ts';
import { printable } from './printable.ts';
import { count } from './summarize-report.ts';
import { scopeLine, vantageTextLines } from './vantage-sections.ts';

/** Human text for a diff: one line a file, with the reason a hazard matters. */
export function renderDiffText(diff: ManifestDiff): string {
  const lines: string[] = [];
  // File names come from the disk: shown escaped, one line each, whatever they hold.
  for (const path of diff.added) lines.push(`  added     ${printable(path)}`);
  for (const path of diff.changed) lines.push(`  changed   ${printable(path)}`);
  for (const path of diff.removed) lines.push(`  removed   ${printable(path)}`);
  for (const hazard of diff.hazards)
    lines.push(`  hazard    ${printable(hazard.path)}: ${HAZARD_TEXT[hazard.kind]}`);
  lines.push(
    `${diff.added.length} added, ${diff.changed.length} changed, ${diff.removed.length} removed, ${diff.unchanged} unchanged, ${diff.hazards.length} hazards`,
  );
  return `${lines.join('\n')}\n`;
}

const HAZARD_TEXT = {
  'validator-unchanged':
    'content changed but size and mtime did not: mtime-size ETags stay the same (fix: touch)',
  'mtime-only': 'mtime changed but content did not: no purge needed',
} as const;

function describeEntry(entry: PlanEntry): string[] {
  // Why it is purged, and how: `(changed, soft: validator-changed)` (purge-mode.ts).
  const why =
    entry.modeReason === undefined
      ? entry.reason
      : `${entry.reason}, ${entry.mode ?? 'hard'}: ${entry.modeReason}`;
  switch (entry.kind) {
    case 'urls':
      return entry.urls.map((url) => `${url}  (${why})`);
    case 'prefixes':
      return entry.prefixes.map((prefix) => `prefix ${prefix}  (${why})`);
    case 'tags':
      return [`tags ${entry.tags.join(' ')}  (${why})`];
    case 'hosts':
      return [`hosts ${entry.hosts.join(' ')}  (${why})`];
    case 'everything':
      return [`everything  (${why})`];
  }
}

/** `, purge.mode auto, then again after 2 s (shield)`: how a provider's entries are purged. */
function providerNote(provider: PurgePlan['providers'][number]): string {
  const mode = provider.mode === undefined ? '' : `, purge.mode ${provider.mode}`;
  const again =
    provider.repurge === undefined
      ? ''
      : `, then all again after ${provider.repurge.afterSeconds} s (shield)`;
  return `${mode}${again}`;
}

/** One line per mode reason the plan uses: what each code means. */
function modeLegend(plan: PurgePlan): string[] {
  const reasons = new Set(
    plan.providers.flatMap((provider) =>
      provider.entries.flatMap((entry) =>
        entry.modeReason === undefined ? [] : [entry.modeReason],
      ),
    ),
  );
  return [...reasons].sort().map((reason) => `${reason}: ${describeModeReason(reason)}`);
}

/** How the origin builds validators, and why edgepurge thinks so. */
export function renderOriginText(origin: OriginDecision): string {
  const how = origin.setting === 'auto' ? 'origin.validators auto' : 'configured';
  const lines = [`origin: ${origin.style} validators (${how})`];
  if (origin.setting === 'auto')
    for (const line of origin.evidence) lines.push(`  ${printable(line)}`);
  return `${lines.join('\n')}\n`;
}

/** The plan as a reader checks it: per provider, each request and why. */
export function renderPlanText(plan: PurgePlan, toTouch: readonly string[]): string {
  const lines: string[] = [];
  for (const path of toTouch) lines.push(`touch ${printable(path)}`);
  for (const provider of plan.providers) {
    lines.push(
      `${provider.provider} (${provider.type}): ${count(provider.entries.length, 'batch', 'batches')}${providerNote(provider)}`,
    );
    for (const entry of provider.entries)
      for (const line of describeEntry(entry)) lines.push(`  ${line}`);
  }
  lines.push(...modeLegend(plan));
  if (plan.urls === 0) lines.push('nothing to purge');
  return `${lines.join('\n')}\n`;
}

export function renderVerifyText(
  verify: Pick<VerifyResult, 'ok' | 'checked' | 'stale'> & {
    readonly notes?: readonly string[];
  } & Partial<Pick<VerifyReport, 'shard' | 'merged' | 'vantage'>>,
): string {
  const lines = verify.stale.map(
    (stale) => `  STALE ${printable(stale.url)}: ${printable(stale.reason)}`,
  );
  for (const note of verify.notes ?? []) lines.push(`  note: ${printable(note)}`);
  // Where the proof comes from: a shard of the URLs, and the vantage locations.
  const scope = scopeLine(verify);
  if (scope !== undefined) lines.push(printable(scope));
  for (const line of vantageTextLines(verify)) lines.push(printable(line));
  lines.push(
    verify.ok
      ? `verified: ${verify.checked} URLs fresh`
      : `not verified: ${verify.stale.length} of ${verify.checked} URLs stale`,
  );
  return `${lines.join('\n')}\n`;
}

export function renderPurgeText(purge: PurgeSummary): string {
  const lines = purge.failed.map(
    (failure) =>
      `  FAILED ${failure.provider}: ${printable(failure.error)}${failure.hint ? ` (${printable(failure.hint)})` : ''}`,
  );
  lines.push(
    `purged: ${purge.urls} URLs, ${purge.prefixes} prefixes in ${purge.requests} requests`,
  );
  const order = purgeOrderLine(purge);
  if (order !== undefined) lines.push(order);
  for (const line of invalidationLines(purge)) lines.push(`  ${printable(line)}`);
  return `${lines.join('\n')}\n`;
}

/** The deploy summary that ends a run. */
export function renderDeployText(result: DeployResult): string {
  const d = result.diff;
  const lines = [
    `diff: ${d.added.length} added, ${d.changed.length} changed, ${d.removed.length} removed, ${d.unchanged} unchanged, ${d.hazards.length} hazards`,
    `fix: ${result.fixed.touched.length} files ${result.dryRun ? 'would be ' : ''}touched`,
  ];
  if (result.fixed.renamed !== undefined) {
    lines.push(
      `fix hash: ${result.fixed.renamed.length} files ${result.dryRun ? 'would be ' : ''}renamed, ${result.fixed.rewritten?.length ?? 0} rewritten`,
    );
  }
  if (result.dryRun) {
    lines.push('dry run: nothing was written, run or sent');
    return `${lines.join('\n')}\n`;
  }
  lines.push(renderPurgeText(result.purge).trimEnd());
  if (result.verify.checked > 0 || result.verify.ok)
    lines.push(renderVerifyText(result.verify).trimEnd());
  lines.push(
    result.baseline.saved
      ? `baseline: saved ${printable(result.baseline.path)}`
      : `baseline: NOT saved (${printable(result.baseline.path)} unchanged)`,
  );
  if (result.error)
    lines.push(
      `error: ${printable(result.error.message, { keepNewlines: true })}${result.error.hint ? `\nhint: ${printable(result.error.hint)}` : ''}`,
    );
  lines.push(result.ok ? 'deploy verified' : 'deploy FAILED');
  return `${lines.join('\n')}\n`;
}
