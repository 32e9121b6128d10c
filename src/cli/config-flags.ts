import { loadConfig, type ResolvedConfig } from '../config/load-config.ts';
import { InputError } from '../errors.ts';
import { numberFlag, type OptionSpec } from './args.ts';
import type { CliIO } from './io.ts';

/** Flags every config-driven command takes; each overrides the key of the same name. */
export const CONFIG_FLAGS = {
  config: { type: 'string', short: 'c' },
  dir: { type: 'string' },
  'base-url': { type: 'string' },
  baseline: { type: 'string' },
  'save-baseline': { type: 'string' },
  fix: { type: 'string' },
  environment: { type: 'string' },
  'connect-to': { type: 'string', multiple: true },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies OptionSpec;

export const CONFIG_USAGE =
  '[--config FILE] [--dir DIR] [--base-url URL] [--baseline FILE] [--save-baseline FILE] [--fix touch|hash|none] [--environment NAME] [--connect-to H1:P1:H2:P2]… [--timeout SECONDS] [--json]';

type ConfigFlagValues = {
  config?: string;
  dir?: string;
  'base-url'?: string;
  baseline?: string;
  'save-baseline'?: string;
  fix?: string;
  environment?: string;
  'connect-to'?: string[];
  timeout?: string;
};

/** Loads the config with flag overrides applied (flags → env → file). */
export async function loadConfigFromFlags(
  values: ConfigFlagValues,
  io: CliIO,
): Promise<ResolvedConfig> {
  if (values.fix !== undefined && !['touch', 'hash', 'none'].includes(values.fix)) {
    throw new InputError(
      'E_USAGE',
      `--fix must be "touch", "hash" or "none", got "${values.fix}"`,
      {
        at: '--fix',
      },
    );
  }
  return loadConfig({
    configPath: values.config,
    cwd: io.cwd,
    env: io.env,
    overrides: {
      dir: values.dir,
      baseUrl: values['base-url'],
      baseline: values.baseline,
      saveBaseline: values['save-baseline'],
      fix: values.fix,
      environment: values.environment,
      connectTo: values['connect-to'],
      timeoutSeconds: numberFlag(values.timeout, '--timeout'),
    },
  });
}
