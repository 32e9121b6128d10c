import { describe, expect, it } from 'vitest';
import {
  applyOverrides,
  FLAG_LABELS,
  overrideSources,
  resolvePaths,
  validateConfig,
} from '../../src/config/load-config.ts';
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
    { name: 'bad fix', raw: { ...valid, fix: 'rename' }, at: 'fix', text: '' },
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
    {
      name: 'a wrong type (not "is required")',
      raw: { ...valid, dir: 5 },
      at: 'dir',
      text: 'must be a string, not a number (5)',
    },
    {
      name: 'a number given as a string',
      raw: { ...valid, verify: { timeoutSeconds: '10' } },
      at: 'verify.timeoutSeconds',
      text: 'must be a number, not a string ("10")',
    },
    {
      name: 'baseUrl with user info',
      raw: { ...valid, baseUrl: 'https://user:hunter2hunter2@www.example.com' },
      at: 'baseUrl',
      text: 'user name or password',
    },
    {
      name: 'baseUrl with a fragment',
      raw: { ...valid, baseUrl: 'https://www.example.com/#top' },
      at: 'baseUrl',
      text: '#fragment',
    },
    {
      name: 'basePath with ..',
      raw: { ...valid, urls: { basePath: '/docs/../admin/' } },
      at: 'urls.basePath',
      text: '".."',
    },
    {
      name: 'a Varnish endpoint with a fragment (every PURGE would go to /)',
      raw: { ...valid, providers: [{ type: 'varnish', endpoints: ['http://127.0.0.1:6081#x'] }] },
      at: 'providers[0].endpoints[0]',
      text: '#fragment',
    },
    {
      name: 'a Varnish endpoint with a path (it would prefix every purge)',
      raw: { ...valid, providers: [{ type: 'varnish', endpoints: ['http://127.0.0.1:6081/v/'] }] },
      at: 'providers[0].endpoints[0]',
      text: 'has the path /v/',
    },
    {
      name: 'a Varnish endpoint with user info',
      raw: {
        ...valid,
        providers: [{ type: 'varnish', endpoints: ['http://ops:pw123456@h:6081'] }],
      },
      at: 'providers[0].endpoints[0]',
      text: 'user name or password',
    },
  ])('refuses $name, naming the key', ({ raw, at, text }) => {
    const error = problem(raw);
    expect(error.code).toBe('E_CONFIG');
    expect(error.exitCode).toBe(2);
    expect(error.at).toBe(at);
    expect(error.message).toContain(at);
    expect(error.message).toContain(text);
    expect(error.hint).toMatch(/README|schema/);
    // Never echo a password back.
    expect(error.message).not.toMatch(/hunter2|pw123456/);
  });

  it('refuses a dir that resolves to the root of the file system', () => {
    expect(() => resolvePaths(validateConfig({ ...valid, dir: '/' }), '/site/c.json')).toThrow(
      /root of the file system/,
    );
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

describe('environment and github: baselines', () => {
  it('defaults the environment to production and refuses a name unfit for a folder', () => {
    expect(validateConfig(valid).environment).toBe('production');
    const error = problem({ ...valid, environment: '../prod' });
    expect(error.at).toBe('environment');
    expect(error.message).toContain('letters, digits');
  });

  it('keeps a github: baseline as written and puts the journal in .edgepurge/', () => {
    const config = validateConfig({ ...valid, baseline: 'github:', environment: 'staging' });
    const resolved = resolvePaths(config, '/site/edgepurge.config.json');
    expect(resolved.baseline).toBe('github:');
    expect(resolved.saveBaseline).toBe('github:');
    expect(resolved.journalPath).toBe('/site/.edgepurge/staging.journal');
    expect(resolved.dir).toBe('/site/public');
  });

  it('resolves a file baseline from the config folder, the journal beside saveBaseline', () => {
    const config = validateConfig({ ...valid, saveBaseline: 'out/next.json' });
    const resolved = resolvePaths(config, '/site/edgepurge.config.json');
    expect(resolved.baseline).toBe('/site/.edgepurge/baseline.json');
    expect(resolved.saveBaseline).toBe('/site/out/next.json');
    expect(resolved.journalPath).toBe('/site/out/next.json.journal');
  });

  it('does not resolve a github: baseline given by a flag or the environment as a path', () => {
    const merged = applyOverrides(
      valid,
      { EDGEPURGE_BASELINE: 'github:state' },
      { saveBaseline: 'github:state', environment: 'preview' },
      '/cwd',
    );
    expect(merged).toMatchObject({
      baseline: 'github:state',
      saveBaseline: 'github:state',
      environment: 'preview',
    });
  });

  it('names the Action input, not the CLI flag, when labels say so', () => {
    const labels = { ...FLAG_LABELS, baseUrl: 'base-url', environment: 'environment' };
    let error: unknown;
    try {
      validateConfig(
        applyOverrides(valid, {}, { baseUrl: 'not a url' }),
        'edgepurge.config.json',
        overrideSources({}, { baseUrl: 'not a url' }, labels),
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).at).toBe('base-url');
    expect((error as InputError).message).toMatch(/^the settings are not valid/);
  });
});
