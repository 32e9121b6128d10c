import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/json-schema.ts';

describe('edgepurge.schema.json', () => {
  it('is generated from the zod schema (run `npm run schema` after changing it)', () => {
    const committed = readFileSync(new URL('../../edgepurge.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(configJsonSchema());
  });

  it('describes every top-level key and forbids unknown ones', () => {
    const schema = JSON.parse(configJsonSchema());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['dir', 'baseUrl']);
    for (const key of [
      'dir',
      'baseUrl',
      'baseline',
      'fix',
      'providers',
      'verify',
      'urls',
      'hooks',
    ]) {
      expect(schema.properties[key], key).toBeDefined();
    }
  });
});
