import { describe, expect, it } from 'vitest';
import { providerSchema } from '../../src/config/schema.ts';
import {
  PROVIDER_SECRET_ENV,
  PROVIDERS,
  PURGE_PROVIDER_FLAGS,
  PURGE_PROVIDER_USAGE,
  providerFromFlags,
} from '../../src/providers/registry.ts';
import { SECRET_ENV_NAMES } from '../../src/redact.ts';

describe('the provider registry', () => {
  it('every provider secret is one redact.ts registers at start-up', () => {
    // redact.ts keeps its own list so that start-up loads no provider; this holds it complete.
    expect(PROVIDER_SECRET_ENV).toEqual(['CLOUDFLARE_API_TOKEN', 'FASTLY_API_TOKEN']);
    for (const name of PROVIDER_SECRET_ENV) expect(SECRET_ENV_NAMES).toContain(name);
  });

  it('the config union holds each definition, in order, and names the types when wrong', () => {
    expect(providerSchema.options).toEqual(PROVIDERS.map((definition) => definition.schema));
    const wrong = providerSchema.safeParse({ type: 'akamai' });
    expect(wrong.error?.issues[0]?.message).toBe(
      'unsupported provider type; use "varnish", "cloudflare", "fastly" or "cloudfront"',
    );
  });

  it('derives the purge flags and their usage from the definitions', () => {
    expect(PURGE_PROVIDER_FLAGS).toEqual({
      endpoint: { type: 'string', multiple: true },
      'zone-id': { type: 'string' },
      plan: { type: 'string' },
      'service-id': { type: 'string' },
      soft: { type: 'boolean' },
      'distribution-id': { type: 'string' },
    });
    expect(PURGE_PROVIDER_USAGE).toBe(
      '[--endpoint URL…] (varnish) [--zone-id ID --plan PLAN] (cloudflare) [--service-id ID --soft] (fastly) [--distribution-id ID] (cloudfront)',
    );
  });

  it.each([
    [
      { endpoint: ['http://127.0.0.1:6081'] },
      { type: 'varnish', endpoints: ['http://127.0.0.1:6081'] },
    ],
    [
      { 'zone-id': 'abc', plan: 'pro' },
      { type: 'cloudflare', zoneId: 'abc', plan: 'pro' },
    ],
    [
      { 'zone-id': 'abc', plan: '' },
      { type: 'cloudflare', zoneId: 'abc' },
    ],
    [{ 'service-id': 'S' }, { type: 'fastly', serviceId: 'S', soft: false }],
    [
      { 'distribution-id': 'E2QWRUHAPOMQZL' },
      { type: 'cloudfront', distributionId: 'E2QWRUHAPOMQZL' },
    ],
    [
      { 'service-id': 'S', soft: true },
      { type: 'fastly', serviceId: 'S', soft: true },
    ],
  ])('flags %j describe %j', (values, raw) => {
    expect(providerFromFlags(values, undefined)?.raw).toEqual(raw);
  });

  it('no selecting flag: no provider; --provider must agree with the flags', () => {
    expect(providerFromFlags({ soft: true }, undefined)).toBeUndefined();
    expect(() => providerFromFlags({ 'zone-id': 'abc' }, 'fastly')).toThrow(
      /--provider fastly does not match the flags of a cloudflare provider/,
    );
    expect(providerFromFlags({ 'zone-id': 'abc' }, undefined)?.flagOf('zoneId')).toBe('--zone-id');
  });
});
