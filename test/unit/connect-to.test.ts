import { describe, expect, it } from 'vitest';
import { parseConnectTo, resolveConnectTo } from '../../src/verify/connect-to.ts';

describe('connect-to (curl --connect-to semantics)', () => {
  const rules = parseConnectTo([
    'www.example.com:443:127.0.0.1:8443',
    'static.example.com::127.0.0.2:',
    ':80:[::1]:9000',
  ]);
  it.each([
    { host: 'www.example.com', port: '443', expected: { host: '127.0.0.1', port: '8443' } },
    { host: 'WWW.EXAMPLE.COM', port: '443', expected: { host: '127.0.0.1', port: '8443' } },
    { host: 'www.example.com', port: '8080', expected: { host: 'www.example.com', port: '8080' } },
    { host: 'static.example.com', port: '443', expected: { host: '127.0.0.2', port: '443' } },
    { host: 'other.test', port: '80', expected: { host: '::1', port: '9000' } },
    { host: 'other.test', port: '443', expected: { host: 'other.test', port: '443' } },
  ])('$host:$port → $expected.host:$expected.port', ({ host, port, expected }) => {
    expect(resolveConnectTo(rules, host, port)).toEqual(expected);
  });

  it('refuses a rule that is not curl form, naming its index', () => {
    expect(() => parseConnectTo(['ok.test:1:127.0.0.1:2', 'nope'])).toThrow(
      /verify\.connectTo\[1\]/,
    );
  });
});
