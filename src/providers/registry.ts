import { InputError } from '../errors.ts';
import { cloudflareDefinition } from './cloudflare.ts';
import { cloudfrontDefinition } from './cloudfront.ts';
import { fastlyDefinition } from './fastly.ts';
import type { ProviderDefinition, PurgeFlag } from './provider-definition.ts';
import { varnishDefinition } from './varnish.ts';

/**
 * Every provider edgepurge knows, each defined once in its own file. The config union
 * (config/schema.ts), `createProviders`, the secret list and the `purge` flags come from here;
 * a new provider is a new definition added to this list.
 */
export const PROVIDERS = [
  varnishDefinition,
  cloudflareDefinition,
  fastlyDefinition,
  cloudfrontDefinition,
] as const;

/** The schemas' types, member by member, so the config union keeps each provider's type. */
type Schemas = [
  typeof varnishDefinition.schema,
  typeof cloudflareDefinition.schema,
  typeof fastlyDefinition.schema,
  typeof cloudfrontDefinition.schema,
];

/** The providers' config schemas, in the registry's order: the members of the config union. */
export function providerConfigSchemas(): Schemas {
  return PROVIDERS.map((definition) => definition.schema) as unknown as Schemas;
}

/** The definition of a provider type, or undefined for a type nobody defined. */
export function providerDefinition(type: string): ProviderDefinition | undefined {
  return (PROVIDERS as readonly ProviderDefinition[]).find(
    (definition) => definition.type === type,
  );
}

/** Every provider credential's environment variable (redact.ts must know each of them). */
export const PROVIDER_SECRET_ENV: readonly string[] = PROVIDERS.flatMap((definition) =>
  definition.secrets.map((secret) => secret.env),
);

/** The `purge` flags of every provider, as node:util parseArgs options. */
export const PURGE_PROVIDER_FLAGS = Object.fromEntries(
  PROVIDERS.flatMap((definition) => definition.purgeFlags).map((flag) => [
    flag.flag,
    flag.multiple === true ? { type: flag.type, multiple: true } : { type: flag.type },
  ]),
) as {
  readonly endpoint: { readonly type: 'string'; readonly multiple: true };
  readonly 'zone-id': { readonly type: 'string' };
  readonly plan: { readonly type: 'string' };
  readonly 'service-id': { readonly type: 'string' };
  readonly soft: { readonly type: 'boolean' };
  readonly 'distribution-id': { readonly type: 'string' };
};

/** `[--endpoint URL…] (varnish) [--zone-id ID --plan PLAN] (cloudflare) …` for the usage. */
export const PURGE_PROVIDER_USAGE = PROVIDERS.map(
  (definition) =>
    `[${definition.purgeFlags.map((flag) => flag.usage).join(' ')}] (${definition.type})`,
).join(' ');

/** `varnish takes --endpoint, cloudflare --zone-id/--plan, …`: the hint of a flag mix-up. */
const PURGE_FLAGS_HINT = PROVIDERS.map(
  (definition, index) =>
    `${definition.type}${index === 0 ? ' takes' : ''} ${definition.purgeFlags.map((flag) => `--${flag.flag}`).join('/')}`,
).join(', ');

/**
 * The raw config of a provider described by `purge` flags alone (`--zone-id …`), or undefined
 * when no provider's selecting flag is given; the caller validates it with the config union.
 * `wanted` (`--provider`) must agree with the flags.
 */
export function providerFromFlags(
  values: Readonly<Record<string, unknown>>,
  wanted: string | undefined,
):
  | { readonly raw: Record<string, unknown>; readonly flagOf: (key: string) => string | undefined }
  | undefined {
  const definition = PROVIDERS.find((candidate) =>
    candidate.purgeFlags.some((flag) => flag.selects === true && values[flag.flag] !== undefined),
  );
  if (definition === undefined) return undefined;
  if (wanted !== undefined && wanted !== definition.type) {
    throw new InputError(
      'E_USAGE',
      `--provider ${wanted} does not match the flags of a ${definition.type} provider`,
      { at: '--provider', hint: PURGE_FLAGS_HINT },
    );
  }
  const raw: Record<string, unknown> = { type: definition.type };
  for (const flag of definition.purgeFlags as readonly PurgeFlag[]) {
    const value = values[flag.flag];
    if (flag.type === 'boolean') raw[flag.key] = value === true;
    else if (value !== undefined && value !== '') raw[flag.key] = value;
  }
  const flags = new Map(definition.purgeFlags.map((flag) => [flag.key, `--${flag.flag}`]));
  return { raw, flagOf: (key) => flags.get(key) };
}
