import { resolve } from 'node:path';
import { requireManifestFile } from '../../manifest/baseline-file.ts';
import { diffManifests } from '../../manifest/diff-manifests.ts';
import { renderDiffText } from '../../report/render-text.ts';
import { parseCommandArgs } from '../args.ts';
import { type CliIO, printResult } from '../io.ts';
import { VALIDATORS_USAGE, validatorsFlag } from '../validators-flag.ts';

export const USAGE = `edgepurge diff <old manifest> <new manifest> ${VALIDATORS_USAGE} [--json]`;

/** `edgepurge diff`: what changed between two releases, and the validator hazards. */
export async function diffCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'diff',
    args,
    { json: { type: 'boolean' }, validators: { type: 'string' } },
    USAGE,
    {
      min: 2,
      max: 2,
    },
  );
  const [oldPath, newPath] = positionals as [string, string];
  const previous = await requireManifestFile(resolve(io.cwd, oldPath), 'old manifest');
  const next = await requireManifestFile(resolve(io.cwd, newPath), 'new manifest');
  const diff = diffManifests(previous, next, { style: validatorsFlag(values.validators) });
  printResult(io, values.json === true, diff, () => renderDiffText(diff));
  return 0;
}
