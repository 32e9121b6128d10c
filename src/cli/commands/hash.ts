import { stat, writeFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { InputError } from '../../errors.ts';
import {
  applyHashPlan,
  mergeHashMap,
  planSiteHash,
  renameMap,
  renderHeadersFile,
  renderNginxSnippet,
} from '../../fix/hash/index.ts';
import { readHashHistory } from '../../fix/hash/read-hash-history.ts';
import { printable } from '../../report/printable.ts';
import { parseCommandArgs } from '../args.ts';
import { type CliIO, printResult } from '../io.ts';

export const USAGE =
  'edgepurge hash <dir> [--out DIR] [--map FILE] [--keep N] [--config FILE] [--base-path PATH] [--base-url URL] [--length N] [--include GLOB]... [--exclude GLOB]... [--headers FILE] [--nginx FILE] [--dry-run] [--json]';

function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function integerFlag(
  value: string | undefined,
  flag: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new InputError(
      'E_USAGE',
      `${flag} needs a whole number from ${min} to ${max}, got "${value}"`,
      { at: flag },
    );
  }
  return number;
}

/**
 * `edgepurge hash`: content-hash names for the files a site references, every reference
 * rewritten, in place or into --out. Prints the renames and rewrites; writes the map and the
 * cache policy files when asked.
 */
export async function hashCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'hash',
    args,
    {
      out: { type: 'string' },
      map: { type: 'string' },
      config: { type: 'string' },
      keep: { type: 'string' },
      'base-path': { type: 'string' },
      'base-url': { type: 'string' },
      length: { type: 'string' },
      include: { type: 'string', multiple: true },
      exclude: { type: 'string', multiple: true },
      headers: { type: 'string' },
      nginx: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
    { min: 1, max: 1 },
  );
  const dir = resolve(io.cwd, positionals[0] as string);
  const info = await stat(dir).catch(() => undefined);
  if (info?.isDirectory() !== true) {
    throw new InputError('E_USAGE', `edgepurge hash: ${positionals[0]} is not a directory`, {
      at: '<dir>',
      hint: 'pass the publish directory, e.g. edgepurge hash public',
    });
  }
  const out = values.out === undefined ? undefined : resolve(io.cwd, values.out);
  if (out !== undefined && (isInside(dir, out) || isInside(out, dir))) {
    throw new InputError('E_USAGE', `--out ${values.out} overlaps the site directory`, {
      at: '--out',
      hint: 'write to a folder outside the site (e.g. --out dist-hashed), or leave --out off to rewrite in place',
    });
  }
  // --config supplies the site's location and the `hash` block; flags override it.
  // Loaded only then: the config schema and the provider registry cost start-up time (issue 7).
  const config =
    values.config === undefined
      ? undefined
      : await (await import('../../config/load-config.ts')).loadConfig({
          configPath: resolve(io.cwd, values.config),
          cwd: io.cwd,
          env: io.env,
        });
  const basePath = values['base-path'] ?? config?.urls.basePath ?? '/';
  if (!basePath.startsWith('/')) {
    throw new InputError('E_USAGE', `--base-path must start with /, got "${basePath}"`, {
      at: '--base-path',
    });
  }
  const baseUrl = values['base-url'] ?? config?.baseUrl;
  if (baseUrl !== undefined && !URL.canParse(baseUrl)) {
    throw new InputError('E_USAGE', `--base-url is not a URL: "${baseUrl}"`, {
      at: '--base-url',
      hint: 'e.g. https://www.example.com',
    });
  }
  const length = integerFlag(values.length, '--length', 6, 64, config?.hash.length ?? 8);
  const keep = integerFlag(values.keep, '--keep', 0, 1000, config?.hash.keep ?? 2);
  const include = values.include ?? config?.hash.include;
  const exclude = values.exclude ?? config?.hash.exclude;
  const dryRun = values['dry-run'] === true;

  const { plan, paths, skipped } = await planSiteHash(
    dir,
    { basePath, baseUrl },
    { length, include, exclude },
  );
  const history =
    values.map === undefined
      ? undefined
      : await readHashHistory(`${resolve(io.cwd, values.map)}.history.json`, '--map');
  // Built only when asked for: one more copy of every rename.
  const map = values.map === undefined ? undefined : renameMap(plan);
  const merged = map === undefined ? undefined : mergeHashMap(history, map, keep);
  if (!dryRun) {
    await applyHashPlan(dir, paths, plan, out);
    if (values.map !== undefined && map !== undefined && merged !== undefined) {
      const mapPath = resolve(io.cwd, values.map);
      await writeFile(mapPath, `${JSON.stringify(map, null, 2)}\n`);
      await writeFile(`${mapPath}.history.json`, `${JSON.stringify(merged.history, null, 2)}\n`);
    }
    if (values.headers !== undefined) {
      const finalPaths = paths.map((path) => plan.outputs.get(path)?.path ?? path).sort();
      await writeFile(
        resolve(io.cwd, values.headers),
        renderHeadersFile(finalPaths, basePath).text,
      );
    }
    if (values.nginx !== undefined)
      await writeFile(resolve(io.cwd, values.nginx), renderNginxSnippet(length));
  }
  const result = {
    dryRun,
    renames: plan.renames,
    rewrites: plan.rewrites,
    cycles: plan.cycles,
    warnings: [
      ...plan.warnings.map((w) => ({ code: w.code, path: w.path, message: w.message })),
      ...skipped.map((path) => ({
        code: 'not-a-file',
        path,
        message: `${path} is not a regular file: skipped`,
      })),
    ],
    ...(merged === undefined ? {} : { retained: merged.retained, expired: merged.expired }),
  };
  printResult(io, values.json === true, result, () => {
    const would = dryRun ? 'would ' : '';
    const lines = [
      ...plan.renames.map(({ from, to }) => `${would}rename ${from} → ${to}`),
      ...plan.rewrites.map(
        (r) =>
          `${would}rewrite ${r.path}: ${r.references} references${r.integrity > 0 ? `, ${r.integrity} integrity` : ''}`,
      ),
      ...plan.cycles.map((cycle) => `cycle hashed together: ${cycle.join(' ↔ ')}`),
      ...result.warnings.map((w) => `warning: ${w.message}`),
      `${plan.renames.length} files ${dryRun ? 'would be ' : ''}renamed, ${plan.rewrites.length} ${dryRun ? 'would be ' : ''}rewritten`,
    ];
    return `${lines.map((line) => printable(line)).join('\n')}\n`;
  });
  return 0;
}
