import { resolve } from 'node:path';
import { openBaselineStore } from '../../github/open-baseline-store.ts';
import type { HashSummary } from '../../pipeline/plan-document.ts';
import { writePlanDocument } from '../../pipeline/plan-document.ts';
import { planRelease } from '../../pipeline/plan-release.ts';
import { printable } from '../../report/printable.ts';
import { renderDiffText, renderOriginText, renderPlanText } from '../../report/render-text.ts';
import { parseCommandArgs } from '../args.ts';
import { CONFIG_FLAGS, CONFIG_USAGE, loadConfigFromFlags } from '../config-flags.ts';
import { type CliIO, ioLogger, printResult } from '../io.ts';

export const USAGE = `edgepurge plan [--out PLAN.json] ${CONFIG_USAGE}`;

/**
 * `edgepurge plan`: what deploy would do. Reads the disk and sends nothing; `--out` writes the
 * plan document that `deploy --plan` applies exactly (review, then apply).
 */
export async function planCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(
    'plan',
    args,
    { ...CONFIG_FLAGS, out: { type: 'string' } },
    USAGE,
    { min: 0, max: 0 },
  );
  const config = await loadConfigFromFlags(values, io);
  const log = ioLogger(io);
  const { env, redactor } = io;
  const store = await openBaselineStore(config, { env, log, redactor });
  const { release, document } = await planRelease(config, {
    env,
    log,
    signal: io.signal,
    store,
    redactor,
  });
  if (values.out !== undefined) {
    const out = resolve(io.cwd, values.out);
    await writePlanDocument(out, document);
    log.info(`plan: written to ${out}; apply it with \`edgepurge deploy --plan ${values.out}\``);
  }
  printResult(io, values.json === true, document, () =>
    [
      renderDiffText(release.diff),
      renderOriginText(release.origin),
      renderHashText(document.hash),
      renderPlanText(release.plan, release.toTouch),
    ].join(''),
  );
  return 0;
}

/** The renames and rewrites `fix: "hash"` would make, one a line (nothing without the fix). */
function renderHashText(hash: HashSummary | undefined): string {
  if (hash === undefined) return '';
  const lines = [
    `fix hash: ${hash.renames.length} files would be renamed, ${hash.rewrites.length} rewritten`,
    ...hash.renames.map(({ from, to }) => `  rename ${from} → ${to}`),
    ...hash.rewrites.map(({ path, references }) => `  rewrite ${path}: ${references} references`),
    ...hash.cycles.map((cycle) => `  cycle hashed together: ${cycle.join(' ↔ ')}`),
    ...hash.restore.map((path) => `  keep ${path} (an earlier release's)`),
    ...hash.expire.map((path) => `  remove ${path} (expired)`),
    ...hash.warnings.map((warning) => `  warning: ${warning.message}`),
  ];
  return `${lines.map((line) => printable(line)).join('\n')}\n`;
}
