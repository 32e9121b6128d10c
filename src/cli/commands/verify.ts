import { resolve } from 'node:path';
import { requirePackedManifestFile } from '../../manifest/baseline-file.ts';
import type { PackedManifest } from '../../manifest/packed-manifest.ts';
import { readPackedManifestPair } from '../../manifest/read-packed-manifest-pair.ts';
import { verifyReleaseFiles } from '../../pipeline/verify-release-files.ts';
import { renderVerifyText } from '../../report/render-text.ts';
import { reportTargets } from '../../report/write-reports.ts';
import { parseShard } from '../../verify/shard.ts';
import { parseCommandArgs } from '../args.ts';
import { CONFIG_FLAGS, CONFIG_USAGE, loadConfigFromFlags } from '../config-flags.ts';
import { type CliIO, ioLogger, printResult } from '../io.ts';
import { emitReports, urlTable, verifyProgress } from '../verify-output.ts';

export const USAGE = `edgepurge verify [--manifest FILE] [--previous FILE] [--shard I/N] [--report FILE.md|FILE.html]… ${CONFIG_USAGE}`;

/**
 * `edgepurge verify`: the checks alone. The release is --manifest (default: a scan of `dir`);
 * with --previous only what changed since it is checked (and removed files must be gone),
 * else every file of the release. `--shard I/N` checks a deterministic 1/N of the URLs (a hash
 * of each URL), for a matrix of runners whose `--json` reports `report merge` combines.
 */
export async function verifyCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(
    'verify',
    args,
    {
      ...CONFIG_FLAGS,
      manifest: { type: 'string' },
      previous: { type: 'string' },
      report: { type: 'string', multiple: true },
      shard: { type: 'string' },
    },
    USAGE,
    { min: 0, max: 0 },
  );
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  const reports = await reportTargets(values.report, io.cwd, io.env);
  const config = await loadConfigFromFlags(values, io);
  const { manifest, previous } = await readManifestFlags(values, io);
  const progress = verifyProgress(io);
  try {
    const result = await verifyReleaseFiles(config, {
      ...(manifest === undefined ? {} : { manifest }),
      ...(previous === undefined ? {} : { previous }),
      onProgress: progress.onProgress,
      ...(shard === undefined ? {} : { shard }),
      env: io.env,
      signal: io.signal,
      log: ioLogger(io),
    });
    progress.finish();
    await emitReports(io, result, undefined, reports);
    printResult(
      io,
      values.json === true,
      result,
      () => `${urlTable(io, result)}${renderVerifyText(result)}`,
    );
    return result.ok ? 0 : 1;
  } finally {
    progress.finish();
  }
}

/**
 * `--manifest` and `--previous`, read at once when both are given (two large manifests take
 * the two cores), each alone otherwise; refused as `requirePackedManifestFile` refuses them.
 */
async function readManifestFlags(
  values: { readonly manifest?: string; readonly previous?: string },
  io: CliIO,
): Promise<{ manifest?: PackedManifest; previous?: PackedManifest }> {
  const file = (path: string | undefined, what: string) => {
    if (path === undefined) return undefined;
    const absolute = resolve(io.cwd, path);
    return { path: absolute, at: absolute, what };
  };
  const manifest = file(values.manifest, 'manifest');
  const previous = file(values.previous, 'previous manifest');
  if (manifest !== undefined && previous !== undefined) {
    const [next, before] = await readPackedManifestPair(manifest, previous, io.signal);
    return { manifest: next, previous: before };
  }
  const read = (one: { path: string; what: string } | undefined) =>
    one === undefined ? undefined : requirePackedManifestFile(one.path, one.what);
  const [next, before] = [await read(manifest), await read(previous)];
  return {
    ...(next === undefined ? {} : { manifest: next }),
    ...(before === undefined ? {} : { previous: before }),
  };
}
