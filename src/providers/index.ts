import type { ProviderConfig } from '../config/schema.ts';
import { InputError } from '../errors.ts';
import type { Provider } from './provider.ts';
import type { ProviderSecret } from './provider-definition.ts';
import { providerDefinition } from './registry.ts';

export { dryRunProvider, type RecordedCall } from './dry-run.ts';
export type { Provider, ProviderCapabilities, PurgeBatch, PurgeOutcome } from './provider.ts';
export type { ProviderDefinition } from './provider-definition.ts';
export { PROVIDERS, providerDefinition } from './registry.ts';

/**
 * Builds the configured providers, in purge order, from their definitions (registry.ts).
 * Credentials come from the environment under the vendors' own names (DESIGN.md), are
 * registered for redaction, and a missing one is an InputError before anything is read,
 * written or sent.
 */
export function createProviders(
  configs: readonly ProviderConfig[],
  env: NodeJS.ProcessEnv,
  options: {
    readonly credentials?: boolean;
    /** Learns each credential read: the run's redactor (src/redact.ts). */
    readonly redactor: { register(secret: string | undefined): void };
  },
): Provider[] {
  const { redactor } = options;
  // Planning needs capabilities only: without `credentials`, a missing token is no error.
  const needed = options.credentials ?? true;
  const names = new Set<string>();
  return configs.map((config, index): Provider => {
    const name = config.name ?? config.type;
    if (names.has(name)) {
      throw new InputError('E_CONFIG', `providers[${index}]: a second provider named "${name}"`, {
        at: `providers[${index}].name`,
        hint: 'give each provider of the same type its own "name"',
      });
    }
    names.add(name);
    const definition = providerDefinition(config.type);
    if (definition === undefined) throw new Error(`unknown provider type ${config.type}`);
    const secrets = Object.fromEntries(
      definition.secrets.map((secret) => [
        secret.env,
        requireSecret(env, secret, index, needed, redactor),
      ]),
    );
    return definition.create(config as never, { secrets, env });
  });
}

function requireSecret(
  env: NodeJS.ProcessEnv,
  secret: ProviderSecret,
  index: number,
  needed: boolean,
  redactor: { register(secret: string | undefined): void },
): string {
  const variable = secret.env;
  const token = env[variable];
  // Registered even when only planning: nothing that leaves the process may hold it.
  redactor.register(token);
  if (!needed && (token === undefined || token.trim() === '')) return '';
  if (token === undefined || token.trim() === '') {
    throw new InputError(
      'E_TOKEN_MISSING',
      `providers[${index}] needs ${variable} in the environment`,
      {
        at: variable,
        hint: `export ${variable}=… (${secret.hint}); tokens are never read from flags or config files`,
      },
    );
  }
  return token.trim();
}
