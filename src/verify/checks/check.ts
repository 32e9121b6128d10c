import type { Check, CheckId, Severity } from '../report-types.ts';

/** A passed check: what was expected and what was seen, no message. */
export function passed(id: CheckId, url: string, expected: string, seen: string): Check {
  return { id, severity: 'error', ok: true, url, expected, seen };
}

/** A failed check, with the sentence a person reads. */
export function failed(
  id: CheckId,
  url: string,
  expected: string,
  seen: string,
  message: string,
  severity: Severity = 'error',
): Check {
  return { id, severity, ok: false, url, expected, seen, message };
}

/** The first 12 hex digits of a SHA-256, as reports show it. */
export function short(sha256: string): string {
  return `${sha256.slice(0, 12)}…`;
}

/** `ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`, or the message: why a request failed. */
export function describeError(error: unknown): string {
  const err = error as { code?: string; cause?: { code?: string }; message?: string };
  return err.cause?.code ?? err.code ?? err.message ?? String(error);
}

/** A check whose request failed outright (refused, reset, timed out). */
export function requestFailed(id: CheckId, url: string, sha256: string, error: string): Check {
  return failed(id, url, `200, sha256 ${short(sha256)}`, error, `request failed: ${error}`);
}
