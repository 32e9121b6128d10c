import { resolve } from 'node:path';
import { openBaselineStore } from '../../github/open-baseline-store.ts';
import { requirePackedManifestFile } from '../../manifest/baseline-file.ts';
import type { PackedManifest } from '../../manifest/packed-manifest.ts';
import { readPackedManifestsAtOnce } from '../../manifest/read-packed-manifest-pair.ts';
import { type BaselineStore, stateBranchOf } from '../../pipeline/baseline-store.ts';
import type { HashSummary, PlanManifestSource } from '../../pipeline/plan-document.ts';
import { writePlanDocument } from '../../pipeline/plan-document.ts';
import { planRelease } from '../../pipeline/plan-release.ts';
import { refuseHashFixWith } from '../../pipeline/release-manifest.ts';
import { printable } from '../../report/printable.ts';
import { renderDiffText, renderOriginText, renderPlanText } from '../../report/render-text.ts';
import { parseCommandArgs } from '../args.ts';
import { CONFIG_FLAGS, CONFIG_USAGE, loadConfigFromFlags } from '../config-flags.ts';
import { type CliIO, ioLogger, printResult } from '../io.ts';

export const USAGE = `edgepurge plan [--out PLAN.json] [--manifest FILE] ${CONFIG_USAGE}`;

/**
 * `edgepurge plan`: what deploy would do. Reads the disk and sends nothing; `--out` writes the
 * plan document that `deploy --plan` applies exactly (review, then apply). `--manifest FILE`
 * plans from the release manifest `edgepurge manifest` wrote instead of scanning `dir` again.
 */
export async function planCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(
    'plan',
    args,
    { ...CONFIG_FLAGS, out: { type: 'string' }, manifest: { type: 'string' } },
    USAGE,
    { min: 0, max: 0 },
  );
  const config = await loadConfigFromFlags(values, io);
  // Refused before a large manifest is read for nothing.
  if (values.manifest !== undefined) refuseHashFixWith(config, '--manifest');
  const log = ioLogger(io);
  const { env, redactor } = io;
  // Opened first: a store that cannot open (a github: baseline without its token) fails before
  // two large manifests are read.
  const opened = await openBaselineStore(config, { env, log, redactor });
  const { manifest, baseline } = await readManifestFlag(values.manifest, config.baseline, io);
  const store = baseline === undefined ? opened : withBaselineRead(opened, baseline);
  const { release, document } = await planRelease(config, {
    env,
    log,
    signal: io.signal,
    store,
    redactor,
    ...(manifest === undefined
      ? {}
      : { manifest, manifestSource: { path: values.manifest as string, at: '--manifest' } }),
  });
  if (values.out !== undefined) {
    const out = resolve(io.cwd, values.out);
    await writePlanDocument(out, document);
    log.info(`plan: written to ${out}; apply it with \`edgepurge deploy --plan ${values.out}\``);
  }
  printResult(io, values.json === true, document, () =>
    [
      renderManifestText(document.manifest),
      renderDiffText(release.diff),
      renderOriginText(release.origin),
      renderHashText(document.hash),
      renderPlanText(release.plan, release.toTouch),
    ].join(''),
  );
  return 0;
}

/**
 * The release `--manifest FILE` names (packed, read streaming, as `diff` reads its two: ~100 B
 * per file) and, when the baseline is a file, the baseline with it: at once when both are
 * large, one on a worker thread (~1.2 s of CPU each at 1,000,000 files). `baseline` is absent
 * when it was not read here (no `--manifest`, or a `github:` baseline: the store reads it); its
 * error, if any, is met when the pipeline reads the store, after the release's own checks.
 */
async function readManifestFlag(
  flag: string | undefined,
  baselinePath: string,
  io: CliIO,
): Promise<{ manifest?: PackedManifest; baseline?: Promise<PackedManifest | undefined> }> {
  if (flag === undefined) return {};
  const path = resolve(io.cwd, flag);
  if (stateBranchOf(baselinePath) !== undefined) {
    return { manifest: await requirePackedManifestFile(path, 'release manifest', '--manifest') };
  }
  const [manifest, baseline] = await readPackedManifestsAtOnce(
    { path, at: '--manifest', what: 'release manifest' },
    // As fileBaselineStore reads it.
    { path: baselinePath, at: 'baseline' },
    io.signal,
  );
  return { manifest, baseline };
}

/** `store`, whose first `read` gives `baseline`, read already; later ones read the store. */
function withBaselineRead(
  store: BaselineStore,
  baseline: Promise<PackedManifest | undefined>,
): BaselineStore {
  let held: Promise<PackedManifest | undefined> | undefined = baseline;
  return {
    location: store.location,
    read: (signal) => {
      const first = held;
      // Not held past its one use: a 1,000,000-file baseline is ~100 MB.
      held = undefined;
      return first ?? store.read(signal);
    },
    write: (manifest, signal) => store.write(manifest, signal),
  };
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

/** Where the release came from when it was not a scan (`--manifest`). */
function renderManifestText(manifest: PlanManifestSource | undefined): string {
  if (manifest === undefined) return '';
  const from = manifest.path === undefined ? 'a manifest' : `the manifest ${manifest.path}`;
  return `${printable(`release: ${manifest.files} files from ${from} (scanned ${manifest.createdAt}), not a scan of dir`)}\n`;
}
