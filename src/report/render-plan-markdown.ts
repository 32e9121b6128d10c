import type { Hazard } from '../manifest/diff-manifests.ts';
import type { PlanEntry, PurgePlan } from '../plan/plan-purges.ts';
import { describeModeReason } from '../plan/purge-mode.ts';
import { code, text } from './render-markdown.ts';

/** What a plan comment shows: the release's diff against the baseline, and what deploy would do. */
export interface PlanView {
  readonly environment: string;
  readonly diff: {
    readonly added: readonly string[];
    readonly changed: readonly string[];
    readonly removed: readonly string[];
    readonly unchanged: number;
    readonly hazards: readonly Hazard[];
  };
  readonly plan: PurgePlan;
  /** Files the fix gives a new mtime. */
  readonly toTouch: readonly string[];
  readonly baseline: { readonly path: string; readonly found: boolean };
}

/**
 * 60,000 characters: GitHub refuses a comment body over 65,536 characters ("body is too long
 * (maximum is 65536 characters)", the issue-comment API's 422), and the sticky comment's marker
 * and a truncation note need room.
 */
export const DEFAULT_PLAN_CHARS = 60_000;

// Rows per list before the rest is counted in a note: a comment is read, not searched.
const MAX_ROWS = 200;
// Items named per request (a Cloudflare batch holds up to 30 URLs, a whole batch reads in one line).
const MAX_ITEMS = 30;

const HAZARD_TEXT = {
  'validator-unchanged': 'content changed, size and mtime did not: the ETag would not change',
  'mtime-only': 'mtime changed, content did not: no purge needed',
} as const;

/**
 * The plan as Markdown for a pull-request comment: diff counts, validator hazards, the files
 * the fix touches, and per provider each purge request with its reason. Lists are cut at
 * MAX_ROWS and the whole at `maxChars`, each with a note. Pure.
 */
export function renderPlanMarkdown(view: PlanView, maxChars = DEFAULT_PLAN_CHARS): string {
  const { diff, plan } = view;
  const requests = plan.providers.reduce((sum, p) => sum + p.entries.length, 0);
  const out: string[] = [
    `### edgepurge plan for ${code(view.environment)}`,
    '',
    '| added | changed | removed | unchanged | hazards | to touch | purge requests | URLs |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${diff.added.length} | ${diff.changed.length} | ${diff.removed.length} | ${diff.unchanged} | ${diff.hazards.length} | ${view.toTouch.length} | ${requests} | ${plan.urls} |`,
    '',
    view.baseline.found
      ? `Compared with the baseline at ${code(view.baseline.path)}.`
      : `No baseline at ${code(view.baseline.path)} yet: every file counts as added.`,
    '',
  ];
  if (diff.hazards.length > 0) {
    out.push('#### Validator hazards', '');
    out.push(...list(diff.hazards, (h) => `- ${code(h.path)}: ${text(HAZARD_TEXT[h.kind])}`));
  }
  if (view.toTouch.length > 0) {
    out.push('#### Files the fix touches (new mtime)', '');
    out.push(...list(view.toTouch, (path) => `- ${code(path)}`));
  }
  for (const provider of plan.providers) {
    out.push(
      `#### ${text(provider.provider)} (${text(provider.type)}): ${provider.entries.length} requests`,
      '',
    );
    if (provider.repurge !== undefined && provider.entries.length > 0)
      out.push(
        `Shielded: the same ${provider.entries.length} requests again ${provider.repurge.afterSeconds} s later.`,
        '',
      );
    if (provider.entries.length === 0) out.push('_nothing to purge_', '');
    else out.push(...list(provider.entries, entryLine));
  }
  if (plan.providers.length === 0)
    out.push('_No providers configured: nothing would be purged._', '');
  return clipDocument(`${out.join('\n').trimEnd()}\n`, maxChars);
}

function entryLine(entry: PlanEntry): string {
  const items =
    entry.kind === 'urls'
      ? entry.urls
      : entry.kind === 'prefixes'
        ? entry.prefixes
        : entry.kind === 'tags'
          ? entry.tags
          : entry.hosts;
  const shown = items.slice(0, MAX_ITEMS).map(code).join(', ');
  const more = items.length > MAX_ITEMS ? ` and ${items.length - MAX_ITEMS} more` : '';
  const what = entry.kind === 'everything' ? 'everything on' : `${items.length} ${entry.kind}:`;
  // Hard or soft, and why (purge-mode.ts); a plan before version 3 says nothing: hard.
  const mode =
    entry.modeReason === undefined
      ? ''
      : ` _(${entry.mode ?? 'hard'}: ${text(describeModeReason(entry.modeReason))})_`;
  return `- **${entry.reason}**: ${what} ${shown}${more}${mode}`;
}

function list<T>(items: readonly T[], line: (item: T) => string): string[] {
  const out = items.slice(0, MAX_ROWS).map(line);
  if (items.length > MAX_ROWS) out.push(`- _… and ${items.length - MAX_ROWS} more_`);
  out.push('');
  return out;
}

/** Cuts a document at a line boundary under `maxChars`, with a note saying so. */
function clipDocument(body: string, maxChars: number): string {
  if (body.length <= maxChars) return body;
  const note =
    "\n_… cut: the plan is longer than a comment may be; `edgepurge plan --json` (or the step's `json` output) has it all._\n";
  const cut = body.slice(0, maxChars - note.length);
  return `${cut.slice(0, Math.max(0, cut.lastIndexOf('\n')))}${note}`;
}
