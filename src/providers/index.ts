import type { ProviderConfig } from '../config/schema.ts';
import type { Provider } from './provider.ts';
import { createVarnishProvider } from './varnish.ts';

export { dryRunProvider, type RecordedCall } from './dry-run.ts';
export type { Provider, ProviderCapabilities, PurgeBatch, PurgeOutcome } from './provider.ts';

/** Builds the configured providers, in purge order. */
export function createProviders(configs: readonly ProviderConfig[]): Provider[] {
  return configs.map((config): Provider => {
    // One case per provider type; the schema admits no other.
    switch (config.type) {
      case 'varnish':
        return createVarnishProvider(config);
      default:
        throw new Error(`unknown provider type ${(config as { type: string }).type}`);
    }
  });
}
