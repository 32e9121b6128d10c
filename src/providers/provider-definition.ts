import { z } from 'zod';
import type { Provider, ProviderCapabilities } from './provider.ts';

/** A credential a provider reads from the environment, never from flags or config files. */
export interface ProviderSecret {
  /** The vendor's own variable name (CLOUDFLARE_API_TOKEN). */
  readonly env: string;
  /** What the credential must be, for the error when it is missing. */
  readonly hint: string;
}

/** A flag of `edgepurge purge` that describes this provider without a config file. */
export interface PurgeFlag {
  /** The flag without dashes (`zone-id`). */
  readonly flag: string;
  /** The config key it sets (`zoneId`). */
  readonly key: string;
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  /** Given alone, it says "this provider" (`--zone-id`); the others only refine it. */
  readonly selects?: boolean;
  /** For the usage line: `--zone-id ID`. */
  readonly usage: string;
}

/** What a factory is given besides the provider's config. */
export interface ProviderContext {
  /** Each secret by its env name; '' when only planning (no credentials needed). */
  readonly secrets: Readonly<Record<string, string>>;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * A provider, defined once (DESIGN.md, "A provider is defined once"): its config schema, its
 * secrets with their hints, its capabilities, its factory and its manual-purge flags. The
 * registry (registry.ts) derives the config union, `createProviders`, the secret list and the
 * `purge` flags from these.
 */
export interface ProviderDefinition<Schema extends z.ZodObject = z.ZodObject> {
  readonly type: string;
  /** A strict object whose `type` is the literal `type`; it carries the descriptions. */
  readonly schema: Schema;
  readonly secrets: readonly ProviderSecret[];
  readonly capabilities: (config: z.output<Schema>) => ProviderCapabilities;
  /** Why the provider cannot take a prefix (`host/path`); absent when it has no prefix purge. */
  readonly checkPrefix?: (prefix: string) => string | undefined;
  /** Builds the provider. Must stay cheap: SDKs and transports load at the first purge. */
  readonly create: (config: z.output<Schema>, context: ProviderContext) => Provider;
  readonly purgeFlags: readonly PurgeFlag[];
}

/** Types a definition, keeping its schema's own type (so the config union stays precise). */
export function defineProvider<Schema extends z.ZodObject>(
  definition: ProviderDefinition<Schema>,
): ProviderDefinition<Schema> {
  return definition;
}

/** `name`, common to every provider's schema. */
export const NAME_DESCRIPTION = 'Name used in reports; defaults to the type.';

/**
 * `shield`, common to every provider's schema: a cache in front of another tier of the same
 * provider (Fastly shielding, Cloudflare tiered cache, a Varnish tier behind another) that the
 * provider purges in no guaranteed order. An edge purged before its shield refetches the old
 * object from the shield, so Fastly recommends purging again "around 2 seconds apart" for
 * single-object and surrogate-key purges, "around 30 seconds" for purge-all
 * (https://www.fastly.com/documentation/guides/full-site-delivery/purging/purging-best-practices/,
 * "Understand how purging interacts with shielding").
 */
export const SHIELD_SCHEMA = z
  .strictObject({
    repurgeAfterSeconds: z
      .number()
      .positive()
      .max(3600)
      .describe(
        "Seconds to wait after this provider's purges before purging the same set again (Fastly recommends 2 for URL and key purges, 30 for purge-all).",
      ),
  })
  .describe(
    'The provider fronts a shield or tiered cache purged in no guaranteed order: purge, wait, purge the same set again.',
  );
