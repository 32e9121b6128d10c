import { createHash } from 'node:crypto';

const ALGORITHMS = new Set(['sha256', 'sha384', 'sha512']);

/**
 * A Subresource Integrity value recomputed for new bytes, keeping the algorithms (and their
 * order and options) the original used: `sha384-OLD` → `sha384-NEW`. Tokens of unknown
 * algorithms are kept as written (browsers ignore them). Undefined when nothing is recognised.
 */
export function recomputeIntegrity(value: string, bytes: Uint8Array): string | undefined {
  const tokens = value.trim().split(/\s+/);
  let changed = false;
  const next = tokens.map((token) => {
    const match = /^(sha256|sha384|sha512)-([A-Za-z0-9+/=_-]*)(\?.*)?$/i.exec(token);
    const algorithm = match?.[1]?.toLowerCase();
    if (match === null || algorithm === undefined || !ALGORITHMS.has(algorithm)) return token;
    changed = true;
    const digest = createHash(algorithm).update(bytes).digest('base64');
    return `${match[1]}-${digest}${match[3] ?? ''}`;
  });
  return changed ? next.join(' ') : undefined;
}
