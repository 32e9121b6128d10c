import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { InputError } from '../errors.ts';
import { GITHUB_BASELINE } from '../pipeline/baseline-store.ts';
import { type Config, configSchema } from './schema.ts';

export const CONFIG_FILE_NAMES = [
  'edgepurge.config.json',
  'edgepurge.config.yaml',
  'edgepurge.config.yml',
] as const;

/** Values from flags, which override the environment, which overrides the file. */
export interface ConfigOverrides {
  readonly dir?: string;
  readonly baseUrl?: string;
  readonly baseline?: string;
  readonly saveBaseline?: string;
  readonly fix?: string;
  readonly environment?: string;
  readonly connectTo?: readonly string[];
  readonly timeoutSeconds?: number;
}

/** What the user calls each override in errors: a CLI flag by default, an Action input there. */
export type OverrideLabels = Readonly<Record<keyof ConfigOverrides, string>>;

export const FLAG_LABELS: OverrideLabels = {
  dir: '--dir',
  baseUrl: '--base-url',
  baseline: '--baseline',
  saveBaseline: '--save-baseline',
  fix: '--fix',
  environment: '--environment',
  connectTo: '--connect-to',
  timeoutSeconds: '--timeout',
};

/** A validated config whose paths are absolute (a `github:` baseline stays as written). */
export type ResolvedConfig = Config & {
  readonly configPath: string;
  readonly saveBaseline: string;
  /** The purge journal that lets an interrupted deploy resume: beside a file baseline, else in `.edgepurge/`. */
  readonly journalPath: string;
};

/** The environment variables that override config keys (flags override them in turn). */
export const ENV_KEYS = {
  EDGEPURGE_DIR: 'dir',
  EDGEPURGE_BASE_URL: 'baseUrl',
  EDGEPURGE_BASELINE: 'baseline',
  EDGEPURGE_SAVE_BASELINE: 'saveBaseline',
  EDGEPURGE_FIX: 'fix',
  EDGEPURGE_ENVIRONMENT: 'environment',
} as const;

/**
 * Finds, reads and validates the config: `configPath` when given, else the first of
 * CONFIG_FILE_NAMES in `cwd`. Relative paths resolve from the config file's folder.
 */
export async function loadConfig(options: {
  readonly configPath?: string;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly overrides?: ConfigOverrides;
  /** How errors name an override (default: the CLI's flags). */
  readonly labels?: OverrideLabels;
}): Promise<ResolvedConfig> {
  const { path, text } = await readConfigFile(options.configPath, options.cwd);
  const raw = parseConfigText(text, path);
  const flags = options.overrides ?? {};
  const merged = applyOverrides(raw, options.env, flags, options.cwd);
  const config = validateConfig(merged, path, overrideSources(options.env, flags, options.labels));
  return resolvePaths(config, path);
}

/** Makes the config's paths absolute from its file's folder; `github:` specs stay. Pure. */
export function resolvePaths(config: Config, configPath: string): ResolvedConfig {
  const base = dirname(configPath);
  const place = (value: string) => (GITHUB_BASELINE.test(value) ? value : resolve(base, value));
  const saveBaseline = place(config.saveBaseline ?? config.baseline);
  const dir = resolve(base, config.dir);
  if (dirname(dir) === dir) {
    throw new InputError('E_CONFIG', `dir resolves to ${dir}, the root of the file system`, {
      at: 'dir',
      hint: 'point dir at the publish directory (e.g. "public"), relative to the config file',
    });
  }
  return {
    ...config,
    configPath,
    dir,
    baseline: place(config.baseline),
    saveBaseline,
    journalPath: GITHUB_BASELINE.test(saveBaseline)
      ? resolve(base, '.edgepurge', `${config.environment}.journal`)
      : `${saveBaseline}.journal`,
  };
}

async function readConfigFile(configPath: string | undefined, cwd: string) {
  const candidates =
    configPath === undefined
      ? CONFIG_FILE_NAMES.map((name) => resolve(cwd, name))
      : [resolve(cwd, configPath)];
  for (const path of candidates) {
    try {
      return { path, text: await readFile(path, 'utf8') };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new InputError('E_CONFIG', `cannot read ${path}: ${(error as Error).message}`, {
          at: path,
        });
      }
    }
  }
  throw new InputError(
    'E_CONFIG_NOT_FOUND',
    configPath === undefined
      ? `no edgepurge.config.json, .yaml or .yml in ${cwd}`
      : `config file ${candidates[0]} does not exist`,
    {
      at: configPath ?? cwd,
      hint: 'pass --config FILE, or create edgepurge.config.json (see README)',
    },
  );
}

function parseConfigText(text: string, path: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new InputError(
      'E_CONFIG',
      `${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(error as Error).message}`,
      {
        at: path,
        hint: 'fix the syntax; edgepurge.schema.json gives editors completion and checks',
      },
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InputError('E_CONFIG', `${path} must hold an object of settings`, { at: path });
  }
  return raw as Record<string, unknown>;
}

/** Keys holding paths: a path given by a flag or the environment is relative to the cwd. */
const PATH_KEYS: ReadonlySet<string> = new Set(['dir', 'baseline', 'saveBaseline']);

/** The overrides that set a top-level key of the same name. */
const TOP_LEVEL = ['dir', 'baseUrl', 'baseline', 'saveBaseline', 'fix', 'environment'] as const;

/**
 * Flags override env, env overrides the file (DESIGN.md, "Config"). Pure. Paths from flags and
 * the environment resolve from `cwd`, where the user stands; the file's from its own folder.
 */
export function applyOverrides(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  flags: ConfigOverrides,
  cwd?: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  const place = (key: string, value: string) => {
    const isPath = cwd !== undefined && PATH_KEYS.has(key) && !GITHUB_BASELINE.test(value);
    out[key] = isPath ? resolve(cwd, value) : value;
  };
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== '') place(key, value);
  }
  for (const key of TOP_LEVEL) {
    const value = flags[key];
    if (value !== undefined) place(key, value);
  }
  if (flags.connectTo !== undefined || flags.timeoutSeconds !== undefined) {
    const verify = {
      ...(typeof raw.verify === 'object' && raw.verify !== null ? raw.verify : {}),
    } as Record<string, unknown>;
    if (flags.connectTo !== undefined && flags.connectTo.length > 0)
      verify.connectTo = [...flags.connectTo];
    if (flags.timeoutSeconds !== undefined) verify.timeoutSeconds = flags.timeoutSeconds;
    out.verify = verify;
  }
  return out;
}

/** Which config keys a flag or variable set, so an error names what the user typed. Pure. */
export function overrideSources(
  env: NodeJS.ProcessEnv,
  flags: ConfigOverrides,
  labels: OverrideLabels = FLAG_LABELS,
): Map<string, string> {
  const sources = new Map<string, string>();
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    if (env[name] !== undefined && env[name] !== '') sources.set(key, name);
  }
  for (const key of TOP_LEVEL) {
    if (flags[key] !== undefined) sources.set(key, labels[key]);
  }
  if (flags.connectTo !== undefined && flags.connectTo.length > 0)
    sources.set('verify.connectTo', labels.connectTo);
  if (flags.timeoutSeconds !== undefined)
    sources.set('verify.timeoutSeconds', labels.timeoutSeconds);
  return sources;
}

/**
 * Validates raw settings against the schema and the cross-field rules. Pure. The first problem
 * is thrown as an InputError naming its key path (or the flag or variable that set it); all of
 * them are listed in the message.
 */
export function validateConfig(
  raw: unknown,
  source = 'config',
  sources: ReadonlyMap<string, string> = new Map(),
): Config {
  // reportInput: a wrong type ("dir": 5) is told apart from a missing key by its input.
  const result = configSchema.safeParse(raw, { reportInput: true });
  const problems: { at: string; message: string }[] = result.success
    ? []
    : result.error.issues.flatMap(describeIssue);
  if (result.success) {
    const base = new URL(result.data.baseUrl);
    if (base.pathname !== '/') {
      problems.push({
        at: 'baseUrl',
        message: `has the path ${base.pathname}; put it in urls.basePath and keep baseUrl to scheme://host[:port]`,
      });
    }
  }
  if (problems.length === 0 && result.success) return result.data;
  const named = problems.map((problem) => {
    const key = [...sources.keys()].find(
      (k) => problem.at === k || problem.at.startsWith(`${k}[`) || problem.at.startsWith(`${k}.`),
    );
    const from = key === undefined ? undefined : sources.get(key);
    return from === undefined
      ? problem
      : { at: from, message: `${problem.message} (${problem.at})` };
  });
  const first = named[0];
  const lines = named.map((problem) => `  ${problem.at}: ${problem.message}`).join('\n');
  const labels = new Set(sources.values());
  const fromFile = named.every((problem) => !labels.has(problem.at));
  throw new InputError(
    'E_CONFIG',
    `${fromFile ? source : 'the settings'} ${fromFile ? 'is' : 'are'} not valid:\n${lines}`,
    {
      at: first?.at,
      hint: 'see the Configuration section of the README, or point your editor at edgepurge.schema.json',
    },
  );
}

function describeIssue(issue: z.core.$ZodIssue): { at: string; message: string }[] {
  const at = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      at: at === '' ? key : `${at}.${key}`,
      message: 'unknown key (check the spelling; edgepurge.schema.json lists every key)',
    }));
  }
  if (issue.code === 'invalid_type') {
    return [
      {
        at,
        message:
          issue.input === undefined
            ? `is required (${issue.expected})`
            : `must be ${article(issue.expected)}, not ${describeType(issue.input)}`,
      },
    ];
  }
  return [{ at: at === '' ? '(top level)' : at, message: issue.message }];
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** `a number (5)`, `a string ("10")`: what the user wrote, short. */
function describeType(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  const type = typeof input;
  if (type === 'object') return 'an object';
  const shown = JSON.stringify(input) ?? String(input);
  return `${article(type)} (${shown.length > 40 ? `${shown.slice(0, 37)}...` : shown})`;
}

/** `providers[0].endpoints[1]`, as a user writes the key. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`,
    )
    .join('');
}
