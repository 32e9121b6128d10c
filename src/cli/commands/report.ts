import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { checkWritable } from '../../check-writable.ts';
import { InputError } from '../../errors.ts';
import { mergeShardReports } from '../../report/merge-reports.ts';
import { renderVerifyText } from '../../report/render-text.ts';
import { reportTargets } from '../../report/write-reports.ts';
import { parseCommandArgs } from '../args.ts';
import { type CliIO, printResult } from '../io.ts';
import { emitReports, urlTable } from '../verify-output.ts';

export const USAGE =
  'edgepurge report merge SHARD.json… [--out FILE.json] [--report FILE.md|FILE.html]… [--json]';

/**
 * `edgepurge report merge A.json B.json …`: combines the `--json` reports of
 * `verify --shard 1/N … N/N` (a GitHub Actions matrix) into one: printed as text (or `--json`),
 * written with `--out`, rendered with `--report`, and appended to the GitHub step summary.
 * Reports of another release or config, a shard given twice or missing: exit 2, naming the
 * file. Exit 1 when any shard failed.
 */
export async function reportCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'report',
    args,
    {
      out: { type: 'string' },
      report: { type: 'string', multiple: true },
      json: { type: 'boolean' },
    },
    USAGE,
    { min: 1, max: Number.POSITIVE_INFINITY },
  );
  const [action, ...files] = positionals;
  if (action !== 'merge') {
    throw new InputError('E_USAGE', `edgepurge report: unknown action "${action}"`, {
      hint: `usage: ${USAGE}`,
    });
  }
  if (files.length === 0) {
    throw new InputError('E_USAGE', 'edgepurge report merge: no shard reports given', {
      hint: `usage: ${USAGE}`,
    });
  }
  const reports = await reportTargets(values.report, io.cwd, io.env);
  const out = values.out === undefined ? undefined : resolve(io.cwd, values.out);
  if (out !== undefined) await checkWritable(out, '--out');
  const read = await Promise.all(files.map((file) => readShard(file, io.cwd)));
  const merged = mergeShardReports(read);
  if (out !== undefined) {
    await writeFile(out, io.redactor.redact(`${JSON.stringify(merged, null, 2)}\n`));
    io.stderr.write(`report: ${out}\n`);
  }
  await emitReports(io, merged, undefined, reports);
  printResult(
    io,
    values.json === true,
    merged,
    () => `${urlTable(io, merged)}${renderVerifyText(merged)}`,
  );
  return merged.ok ? 0 : 1;
}

async function readShard(file: string, cwd: string): Promise<{ file: string; report: unknown }> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new InputError('E_USAGE', `cannot read ${file}: ${(error as Error).message}`, {
      at: file,
      hint: 'name the files `edgepurge verify --shard I/N --json > FILE` wrote',
    });
  }
  try {
    return { file, report: JSON.parse(text) };
  } catch (error) {
    throw new InputError('E_MERGE', `${file} is not JSON: ${(error as Error).message}`, {
      at: file,
      hint: 'a shard report is the stdout of `edgepurge verify --shard I/N --json`, nothing else',
    });
  }
}
