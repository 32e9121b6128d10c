import { describe, expect, it } from 'vitest';
import { createRedactor, registerSecretsFromEnv, SECRET_ENV_NAMES } from '../../src/redact.ts';
import { escapeHtml } from '../../src/report/escape-html.ts';

// A token with characters every escaping changes: `&`, `<`, `"`, `/`, `+`, `=`.
const TOKEN = 'tok_9f8e7d6c5b4a&<x>"q"/+=end';
const redactor = createRedactor();
redactor.register(TOKEN);
const redact = (text: string) => redactor.redact(text);

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

describe('redact', () => {
  it.each([
    ['plain', TOKEN],
    ['JSON-escaped', JSON.stringify({ echoed: TOKEN })],
    ['HTML-escaped', `<td>${escapeHtml(TOKEN)}</td>`],
    ['URL-encoded', `https://api.test/?token=${encodeURIComponent(TOKEN)}`],
    ['base64', b64(TOKEN)],
    ['base64 of "Bearer <token>"', b64(`Bearer ${TOKEN}`)],
    ['base64 of "user:<token>" (Basic auth)', `Authorization: Basic ${b64(`api:${TOKEN}`)}`],
    ['base64 at every alignment', [0, 1, 2].map((n) => b64(`${'x'.repeat(n)}${TOKEN}!`)).join(' ')],
    ['base64url', b64url(`ab${TOKEN}`)],
  ])('removes the token %s', (_, text) => {
    const out = redact(`before ${text} after`);
    expect(out).toContain('[redacted]');
    expect(out).not.toContain(TOKEN);
    // Not one run of 8 or more characters of any encoded form survives.
    for (const form of [b64(TOKEN), escapeHtml(TOKEN), encodeURIComponent(TOKEN)]) {
      expect(out).not.toContain(form);
    }
  });

  it('leaves text without the token alone', () => {
    expect(redact('nothing secret here: tok_ and 9f8e7d6c')).toBe(
      'nothing secret here: tok_ and 9f8e7d6c',
    );
  });

  it('a fresh redactor knows no secret, not even one another redactor was given', () => {
    const fresh = createRedactor();
    for (const text of [TOKEN, b64(`Bearer ${TOKEN}`), encodeURIComponent(TOKEN)]) {
      expect(fresh.redact(text)).toBe(text);
    }
  });

  it('two redactors keep their own secrets', () => {
    const [a, b] = [createRedactor(), createRedactor()];
    a.register('token-of-run-a-0123456789');
    b.register('token-of-run-b-0123456789');
    const text = 'a: token-of-run-a-0123456789, b: token-of-run-b-0123456789';
    expect(a.redact(text)).toBe('a: [redacted], b: token-of-run-b-0123456789');
    expect(b.redact(text)).toBe('a: token-of-run-a-0123456789, b: [redacted]');
  });

  it('registerSecretsFromEnv registers every credential variable, and nothing else', () => {
    const env: NodeJS.ProcessEnv = { OTHER_VALUE: 'not-a-secret-0123456789' };
    for (const name of SECRET_ENV_NAMES) env[name] = `${name.toLowerCase()}-value-0123456789`;
    const fromEnv = createRedactor();
    registerSecretsFromEnv(fromEnv, env);
    const out = fromEnv.redact(Object.values(env).join(' '));
    expect(out).toBe(`not-a-secret-0123456789${' [redacted]'.repeat(SECRET_ENV_NAMES.length)}`);
  });
});
