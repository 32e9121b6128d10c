import type { ProviderConfig } from '../config/schema.ts';
import { InputError } from '../errors.ts';
import { registerSecret } from '../redact.ts';
import { checkCloudflarePrefix, createCloudflareProvider } from './cloudflare.ts';
import { createFastlyProvider } from './fastly.ts';
import type { Provider } from './provider.ts';
import { createVarnishProvider } from './varnish.ts';

export { dryRunProvider, type RecordedCall } from './dry-run.ts';
export type { Provider, ProviderCapabilities, PurgeBatch, PurgeOutcome } from './provider.ts';

/**
 * Builds the configured providers, in purge order. Credentials come from the environment under
 * the vendors' own names (DESIGN.md), are registered for redaction, and a missing one is an
 * InputError before anything is read, written or sent.
 */
export function createProviders(
  configs: readonly ProviderConfig[],
  env: NodeJS.ProcessEnv,
  options: { readonly credentials?: boolean } = {},
): Provider[] {
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
    switch (config.type) {
      case 'varnish':
        return createVarnishProvider(config);
      case 'cloudflare': {
        const token = requireToken(
          env,
          'CLOUDFLARE_API_TOKEN',
          index,
          'an API token with Zone › Cache Purge permission',
          needed,
        );
        const provider = createCloudflareProvider(config, {
          token,
          baseURL: env.CLOUDFLARE_BASE_URL || undefined,
        });
        return Object.assign(provider, { checkPrefix: checkCloudflarePrefix });
      }
      case 'fastly': {
        const token = requireToken(
          env,
          'FASTLY_API_TOKEN',
          index,
          'an API token with the purge_select scope (purge_all for everything)',
          needed,
        );
        return createFastlyProvider(config, { token, baseUrl: env.FASTLY_API_URL || undefined });
      }
      default:
        throw new Error(`unknown provider type ${(config as { type: string }).type}`);
    }
  });
}

function requireToken(
  env: NodeJS.ProcessEnv,
  variable: string,
  index: number,
  what: string,
  needed = true,
): string {
  const token = env[variable];
  if (!needed && (token === undefined || token.trim() === '')) return '';
  if (token === undefined || token.trim() === '') {
    throw new InputError(
      'E_TOKEN_MISSING',
      `providers[${index}] needs ${variable} in the environment`,
      {
        at: variable,
        hint: `export ${variable}=… (${what}); tokens are never read from flags or config files`,
      },
    );
  }
  registerSecret(token);
  return token.trim();
}
