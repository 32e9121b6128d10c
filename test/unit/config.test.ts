import { describe, expect, it } from 'vitest';
import { applyOverrides, validateConfig } from '../../src/config/load-config.ts';
import { InputError } from '../../src/errors.ts';

const valid = {
  dir: 'public',
  baseUrl: 'https://www.example.com',
  providers: [{ type: 'varnish', endpoints: ['http://127.0.0.1:6081'] }],
};

function problem(raw: unknown): InputError {
  try {
    validateConfig(raw, 'edgepurge.config.json');
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected the config to be refused');
}

describe('validateConfig', () => {
  it('fills defaults', () => {
    const config = validateConfig(valid);
    expect(config.fix).toBe('touch');
    expect(config.baseline).toBe('.edgepurge/baseline.json');
    expect(config.urls).toEqual({ cleanUrls: false, basePath: '/' });
    expect(config.verify.timeoutSeconds).toBe(60);
    expect(config.providers[0]).toMatchObject({
      type: 'varnish',
      concurrency: 8,
      banHeader: 'X-Ban-Path',
    });
  });

  it.each([
    {
      name: 'unknown key',
      raw: { ...valid, purgeEverything: true },
      at: 'purgeEverything',
      text: 'unknown key',
    },
    {
      name: 'unknown nested key',
      raw: { ...valid, verify: { timeout: 3 } },
      at: 'verify.timeout',
      text: 'unknown key',
    },
    { name: 'missing dir', raw: { baseUrl: valid.baseUrl }, at: 'dir', text: 'is required' },
    {
      name: 'invalid baseUrl',
      raw: { ...valid, baseUrl: 'www.example.com' },
      at: 'baseUrl',
      text: 'absolute http',
    },
    {
      name: 'baseUrl with a path',
      raw: { ...valid, baseUrl: 'https://x.test/docs' },
      at: 'baseUrl',
      text: 'urls.basePath',
    },
    { name: 'bad fix', raw: { ...valid, fix: 'hash' }, at: 'fix', text: '' },
    {
      name: 'unsupported provider',
      raw: { ...valid, providers: [{ type: 'akamai' }] },
      at: 'providers[0].type',
      text: 'unsupported provider',
    },
    {
      name: 'varnish without endpoints',
      raw: { ...valid, providers: [{ type: 'varnish' }] },
      at: 'providers[0].endpoints',
      text: 'is required',
    },
    {
      name: 'bad connectTo',
      raw: { ...valid, verify: { connectTo: ['example.com:127.0.0.1'] } },
      at: 'verify.connectTo[0]',
      text: 'HOST1:PORT1:HOST2:PORT2',
    },
  ])('refuses $name, naming the key', ({ raw, at, text }) => {
    const error = problem(raw);
    expect(error.code).toBe('E_CONFIG');
    expect(error.exitCode).toBe(2);
    expect(error.at).toBe(at);
    expect(error.message).toContain(at);
    expect(error.message).toContain(text);
    expect(error.hint).toMatch(/README|schema/);
  });
});

describe('applyOverrides', () => {
  it('flags override env, env overrides the file', () => {
    const file = { dir: 'from-file', baseUrl: 'https://file.test', fix: 'touch' };
    const env = { EDGEPURGE_DIR: 'from-env', EDGEPURGE_FIX: 'none' };
    const merged = applyOverrides(file, env, { dir: 'from-flag', connectTo: ['a:1:b:2'] });
    expect(merged).toMatchObject({ dir: 'from-flag', fix: 'none', baseUrl: 'https://file.test' });
    expect(merged.verify).toEqual({ connectTo: ['a:1:b:2'] });
  });
});
