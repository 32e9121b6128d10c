/**
 * URL checks shared by the config schema and the providers' schemas (kept apart from schema.ts
 * so a provider's schema does not import the whole config: no import cycle).
 */

/**
 * Why a URL is unfit for `baseUrl`, `verify.origin` or a Varnish endpoint, in words; undefined
 * when it is fine. User info is refused, not stripped: it is never sent, and it would be
 * printed in errors and dry-run lines. A fragment would silently send every request to `/`.
 */
export function urlProblem(value: string, what = 'URL'): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be an absolute http:// or https:// ${what}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `must be an absolute http:// or https:// ${what}`;
  if (url.username !== '' || url.password !== '')
    return 'holds a user name or password: remove it (it is never sent, and would be printed)';
  if (value.includes('#')) return 'holds a #fragment: remove it';
  if (value.includes('?')) return 'holds a query: remove it';
  return undefined;
}
