import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { InputError } from '../errors.ts';
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
  readonly connectTo?: readonly string[];
  readonly timeoutSeconds?: number;
}

/** A validated config whose paths are absolute. */
export type ResolvedConfig = Config & {
  readonly configPath: string;
  readonly saveBaseline: string;
};

/** The environment variables that override config keys (flags override them in turn). */
export const ENV_KEYS = {
  EDGEPURGE_DIR: 'dir',
  EDGEPURGE_BASE_URL: 'baseUrl',
  EDGEPURGE_BASELINE: 'baseline',
  EDGEPURGE_SAVE_BASELINE: 'saveBaseline',
  EDGEPURGE_FIX: 'fix',
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
}): Promise<ResolvedConfig> {
  const { path, text } = await readConfigFile(options.configPath, options.cwd);
  const raw = parseConfigText(text, path);
  const flags = options.overrides ?? {};
  const merged = applyOverrides(raw, options.env, flags, options.cwd);
  const config = validateConfig(merged, path, overrideSources(options.env, flags));
  const base = dirname(path);
  return {
    ...config,
    configPath: path,
    dir: resolve(base, config.dir),
    baseline: resolve(base, config.baseline),
    saveBaseline: resolve(base, config.saveBaseline ?? config.baseline),
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

const FLAG_NAMES = {
  dir: '--dir',
  baseUrl: '--base-url',
  baseline: '--baseline',
  saveBaseline: '--save-baseline',
  fix: '--fix',
} as const;

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
    out[key] = cwd !== undefined && PATH_KEYS.has(key) ? resolve(cwd, value) : value;
  };
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== '') place(key, value);
  }
  for (const key of Object.keys(FLAG_NAMES) as (keyof typeof FLAG_NAMES)[]) {
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
): Map<string, string> {
  const sources = new Map<string, string>();
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    if (env[name] !== undefined && env[name] !== '') sources.set(key, name);
  }
  for (const [key, flag] of Object.entries(FLAG_NAMES)) {
    if (flags[key as keyof typeof FLAG_NAMES] !== undefined) sources.set(key, flag);
  }
  if (flags.connectTo !== undefined && flags.connectTo.length > 0)
    sources.set('verify.connectTo', '--connect-to');
  if (flags.timeoutSeconds !== undefined) sources.set('verify.timeoutSeconds', '--timeout');
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
  const result = configSchema.safeParse(raw);
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
  const fromFile = named.every(
    (problem) => !problem.at.startsWith('-') && !/^[A-Z_]+$/.test(problem.at),
  );
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
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return [{ at, message: `is required (${issue.expected})` }];
  }
  return [{ at: at === '' ? '(top level)' : at, message: issue.message }];
}

/** `providers[0].endpoints[1]`, as a user writes the key. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`,
    )
    .join('');
}
