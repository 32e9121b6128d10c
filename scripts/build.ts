/**
 * `npm run build`: the published package and the Action, from src/, into dist/.
 *
 *   dist/cli.js, dist/index.js  ESM entries (bin and library), every dependency bundled, with
 *                               lazily imported modules (commands, provider SDKs, the demo) in
 *                               dist/chunks/, loaded only when a run uses them.
 *   dist/action.js              the GitHub Action: one self-contained file (committed; see
 *                               scripts/check-dist.ts).
 *   dist/index.d.ts (+ dist/<folder>/*.d.ts)  types of the library API, emitted by tsc.
 *
 * esbuild: it bundles ESM with code splitting, needs no plugins for TypeScript, is one native
 * binary, and takes well under a second here. Output is deterministic (no timestamps, paths
 * relative to the repository), so a rebuild of unchanged sources gives identical bytes.
 *
 * `--action-only --outdir DIR` builds only action.js into DIR (check-dist uses it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type BuildOptions, build, type Plugin } from 'esbuild';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ACTION_ENTRY = 'src/action/main.ts';
const HASH_WORKER = 'src/manifest/hash-worker.ts';
const HASH_WORKER_SCRIPT = join(REPO, 'src/manifest/hash-worker-script.ts');
const MANIFEST_READ_WORKER = 'src/manifest/manifest-read-worker.ts';
const MANIFEST_READ_WORKER_SCRIPT = join(REPO, 'src/manifest/manifest-read-worker-script.ts');

// CommonJS dependencies inside an ESM bundle call require() for Node's builtins, which ESM does
// not define; esbuild's shim uses a `require` in scope. Every output file gets its own. No
// __dirname/__filename: nothing bundled needs them (undici only reads `typeof __filename`), and
// a bundled ESM module that declares its own would collide with them.
const BANNER = [
  "import { createRequire as __edgepurgeCreateRequire } from 'node:module';",
  'const require = __edgepurgeCreateRequire(import.meta.url);',
].join('\n');

export interface BuildResult {
  readonly outputs: readonly string[];
}

/** Builds dist/ (or, with `actionOnly`, only action.js into `outdir`). */
export async function buildDist(
  options: { outdir?: string; actionOnly?: boolean; log?: (line: string) => void } = {},
): Promise<BuildResult> {
  const outdir = resolve(REPO, options.outdir ?? 'dist');
  const log = options.log ?? ((line: string) => console.log(line));
  const version = (
    JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const shared: BuildOptions = {
    absWorkingDir: REPO,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    banner: { js: BANNER },
    define: { __EDGEPURGE_VERSION__: JSON.stringify(version) },
    plugins: [
      workerScriptPlugin(
        HASH_WORKER_SCRIPT,
        'hashWorkerScript',
        await compileWorker(HASH_WORKER, version),
      ),
      workerScriptPlugin(
        MANIFEST_READ_WORKER_SCRIPT,
        'manifestReadWorkerScript',
        await compileWorker(MANIFEST_READ_WORKER, version),
      ),
    ],
    legalComments: 'eof',
    logLevel: 'warning',
    metafile: true,
  };
  const outputs: string[] = [];

  if (!options.actionOnly) {
    // Only action.js survives a rebuild untouched when its entry is missing: it is committed.
    mkdirSync(outdir, { recursive: true });
    for (const name of readdirSync(outdir)) {
      if (name !== 'action.js') rmSync(join(outdir, name), { recursive: true, force: true });
    }
    const result = await build({
      ...shared,
      // bin/edgepurge.js is the CLI entry from a checkout too: one copy of its signal handling.
      entryPoints: { cli: 'bin/edgepurge.js', index: 'src/index.ts' },
      outdir,
      splitting: true,
      // Chunks sit two folders below the package root, as src/<folder>/*.ts do, so a
      // `new URL('../../examples/…', import.meta.url)` in src/demo still finds the file.
      chunkNames: 'chunks/[name]-[hash]',
    });
    outputs.push(...Object.keys(result.metafile?.outputs ?? {}));
    checkFileUrls(outdir, Object.keys(result.metafile?.outputs ?? {}));
    emitDeclarations(outdir);
    outputs.push(join(relative(REPO, outdir), 'index.d.ts'));
    log(`built ${relative(REPO, outdir)}/cli.js, index.js, chunks/ and index.d.ts (v${version})`);
  }

  if (existsSync(join(REPO, ACTION_ENTRY))) {
    mkdirSync(outdir, { recursive: true });
    await build({
      ...shared,
      entryPoints: [ACTION_ENTRY],
      outfile: join(outdir, 'action.js'),
      // GitHub runs action.js from a checkout of the repository: no chunks, no node_modules.
      splitting: false,
    });
    if (!options.actionOnly) checkFileUrls(outdir, [join(relative(REPO, outdir), 'action.js')]);
    outputs.push(join(relative(REPO, outdir), 'action.js'));
    log(`built ${relative(REPO, outdir)}/action.js`);
  } else {
    log(`skipped action.js: ${ACTION_ENTRY} does not exist yet`);
  }
  return { outputs };
}

/**
 * A `new URL('../../examples/…', import.meta.url)` kept from src/ now resolves from the output
 * file: it must still name a file of the package (dist/ sits one folder up from the chunks, as
 * the repository root does from src/<folder>/). Dead branches esbuild removed are not seen.
 */
function checkFileUrls(outdir: string, outputs: readonly string[]): void {
  const pattern = /new URL\(\s*"(\.{1,2}\/[^"]+)",\s*import\.meta\.url\s*\)/g;
  for (const output of outputs) {
    if (!output.endsWith('.js')) continue;
    const file = resolve(REPO, output);
    for (const [, target] of readFileSync(file, 'utf8').matchAll(pattern)) {
      const path = fileURLToPath(new URL(target as string, pathToFileURL(file)));
      const inside = path.startsWith(`${REPO}/`) && !path.startsWith(`${outdir}/`);
      if (!inside || !existsSync(path)) {
        throw new Error(
          `${relative(REPO, file)} refers to ${target}, which resolves to ${path}: not a file of the package`,
        );
      }
    }
  }
}

/**
 * A worker (hash-worker.ts, manifest-read-worker.ts) as one CommonJS script (Node builtins
 * only), for `new Worker(…, { eval })`, with the package's `version` defined as for the bundle.
 */
async function compileWorker(entry: string, version: string): Promise<string> {
  const result = await build({
    absWorkingDir: REPO,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    // An eval'd worker runs as a CommonJS script: `require` is defined, `import` is not.
    format: 'cjs',
    target: 'node22',
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
    define: { __EDGEPURGE_VERSION__: JSON.stringify(version) },
    // src/version.ts reads package.json through import.meta.url (empty in CommonJS) only when
    // __EDGEPURGE_VERSION__ is not defined: here it always is.
    logOverride: { 'empty-import-meta': 'silent' },
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error(`esbuild produced nothing for ${entry}`);
  return file.text;
}

/** Replaces a worker's -script.ts (`script`, exporting `name`) with the compiled worker. */
function workerScriptPlugin(script: string, name: string, source: string): Plugin {
  return {
    name: `edgepurge-${name}`,
    setup(plugin) {
      plugin.onLoad({ filter: /[\\/][a-z-]+-worker-script\.ts$/ }, (args) => {
        if (args.path !== script) return undefined;
        return {
          contents: `export const ${name} = { source: ${JSON.stringify(source)} };\n`,
          loader: 'js',
        };
      });
    },
  };
}

/**
 * `.d.ts` for the library API: tsc over src/index.ts (tsconfig.build.json). TypeScript 7 emits
 * declarations with the project's settings as they are: `allowImportingTsExtensions` is allowed
 * with `emitDeclarationOnly`, and the `.ts` specifiers kept in the .d.ts files resolve to their
 * sibling .d.ts for consumers (scripts/pack-smoke.sh type-checks one with skipLibCheck off).
 */
function emitDeclarations(outdir: string): void {
  const tsc = join(REPO, 'node_modules/.bin/tsc');
  execFileSync(tsc, ['-p', join(REPO, 'tsconfig.build.json'), '--outDir', outdir], {
    cwd: REPO,
    stdio: 'inherit',
  });
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { outdir: { type: 'string' }, 'action-only': { type: 'boolean' } },
  });
  if (values.outdir !== undefined && !values['action-only']) {
    console.error('build: --outdir goes with --action-only (the package is built into dist/)');
    process.exit(2);
  }
  const started = performance.now();
  try {
    await buildDist({ outdir: values.outdir, actionOnly: values['action-only'] });
    console.log(`build: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    // esbuild and tsc have printed what failed, with file and line.
    console.error(`build failed: ${(error as Error).message.split('\n')[0]}`);
    process.exitCode = 1;
  }
}
