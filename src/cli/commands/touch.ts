import { resolve } from 'node:path';
import { InputError } from '../../errors.ts';
import { touchPackedFiles } from '../../fix/touch-files.ts';
import { requirePackedManifestFile } from '../../manifest/baseline-file.ts';
import { diffPackedManifests } from '../../manifest/diff-packed-manifests.ts';
import { scanDirPacked } from '../../manifest/scan-dir.ts';
import { parseCommandArgs } from '../args.ts';
import { type CliIO, printResult } from '../io.ts';
import { VALIDATORS_USAGE, validatorsFlag } from '../validators-flag.ts';

export const USAGE = `edgepurge touch <dir> --baseline FILE [--all] ${VALIDATORS_USAGE} [--dry-run] [--json]`;

/**
 * `edgepurge touch`: new mtimes for the files whose content changed while size and mtime did
 * not (or, with --all, every added or changed file), so mtime-size validators change.
 */
export async function touchCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'touch',
    args,
    {
      baseline: { type: 'string' },
      all: { type: 'boolean' },
      validators: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
    { min: 1, max: 1 },
  );
  if (values.baseline === undefined) {
    throw new InputError('E_USAGE', 'edgepurge touch needs --baseline FILE', {
      at: '--baseline',
      hint: `usage: ${USAGE}`,
    });
  }
  const style = validatorsFlag(values.validators);
  const dir = resolve(io.cwd, positionals[0] as string);
  const baseline = await requirePackedManifestFile(resolve(io.cwd, values.baseline), 'baseline');
  const next = await scanDirPacked(dir, { signal: io.signal });
  const diff = diffPackedManifests(baseline, next, { style });
  const paths =
    values.all === true
      ? [...diff.added, ...diff.changed]
      : diff.hazards.filter((hazard) => hazard.kind === 'validator-unchanged').map((h) => h.path);
  const dryRun = values['dry-run'] === true;
  const result = await touchPackedFiles(dir, next, paths, { dryRun, style, previous: baseline });
  printResult(io, values.json === true, { dryRun, touched: result.touched }, () => {
    const verb = dryRun ? 'would touch' : 'touched';
    const lines = result.touched.map((path) => `${verb} ${path}`);
    lines.push(`${result.touched.length} files ${dryRun ? 'would be ' : ''}touched`);
    return `${lines.join('\n')}\n`;
  });
  return 0;
}
