import { resolve } from 'node:path';
import { checkWritable } from '../../check-writable.ts';
import { InputError } from '../../errors.ts';
import { writePackedManifestFile } from '../../manifest/baseline-file.ts';
import { scanDirPacked } from '../../manifest/scan-dir.ts';
import { writeManifestStream } from '../../manifest/write-manifest-stream.ts';
import { parseCommandArgs } from '../args.ts';
import { type CliIO, ioLogger } from '../io.ts';

export const USAGE = 'edgepurge manifest <dir> [--out FILE] [--base-url URL]';

/** `edgepurge manifest`: scan a directory into a release manifest (stdout or --out). */
export async function manifestCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'manifest',
    args,
    { out: { type: 'string' }, 'base-url': { type: 'string' } },
    USAGE,
    { min: 1, max: 1 },
  );
  const baseUrl = values['base-url'];
  if (baseUrl !== undefined && !/^https?:\/\/[^/?#]+\/?$/.test(baseUrl)) {
    throw new InputError('E_USAGE', `--base-url must be scheme://host[:port], got "${baseUrl}"`, {
      at: '--base-url',
      hint: 'e.g. --base-url https://www.example.com',
    });
  }
  if (values.out !== undefined) await checkWritable(resolve(io.cwd, values.out), '--out');
  const log = ioLogger(io);
  const started = Date.now();
  let last = 0;
  // Packed as it is hashed and written as it is serialised: ~100 B per file, never one string.
  const manifest = await scanDirPacked(resolve(io.cwd, positionals[0] as string), {
    baseUrl: baseUrl?.replace(/\/$/, ''),
    signal: io.signal,
    onProgress: ({ files, bytes }) => {
      if (Date.now() - last < 1000) return;
      last = Date.now();
      log.info(`scan: ${files} files, ${(bytes / 1e6).toFixed(1)} MB`);
    },
  });
  log.info(`scan: ${manifest.files.count} files in ${Date.now() - started} ms`);
  if (values.out === undefined) {
    await writeManifestStream(manifest, io.stdout);
  } else {
    await writePackedManifestFile(resolve(io.cwd, values.out), manifest);
    log.info(`wrote ${values.out}`);
  }
  return 0;
}
