import { describe, expect, it } from 'vitest';
import { redact, registerSecret } from '../../src/redact.ts';
import { escapeHtml } from '../../src/report/escape-html.ts';

// A token with characters every escaping changes: `&`, `<`, `"`, `/`, `+`, `=`.
const TOKEN = 'tok_9f8e7d6c5b4a&<x>"q"/+=end';
registerSecret(TOKEN);

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
});
