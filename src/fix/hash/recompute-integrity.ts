import { createHash } from 'node:crypto';

export type IntegrityAlgorithm = 'sha256' | 'sha384' | 'sha512';

/** The base64 digest of one file's final bytes in an SRI algorithm. */
export type DigestOf = (algorithm: IntegrityAlgorithm) => string;

/** `digestOf` over bytes in memory (or a text, as its UTF-8 bytes). */
export function digestsOf(bytes: Uint8Array | string): DigestOf {
  return (algorithm) => createHash(algorithm).update(bytes).digest('base64');
}

/**
 * A Subresource Integrity value recomputed for new bytes, keeping the algorithms (and their
 * order and options) the original used: `sha384-OLD` → `sha384-NEW`. Tokens of unknown
 * algorithms are kept as written (browsers ignore them). Undefined when nothing is recognised.
 */
export function recomputeIntegrity(value: string, digestOf: DigestOf): string | undefined {
  const tokens = value.trim().split(/\s+/);
  let changed = false;
  const next = tokens.map((token) => {
    const match = /^(sha256|sha384|sha512)-([A-Za-z0-9+/=_-]*)(\?.*)?$/i.exec(token);
    const algorithm = match?.[1]?.toLowerCase() as IntegrityAlgorithm | undefined;
    if (match === null || algorithm === undefined) return token;
    changed = true;
    return `${match[1]}-${digestOf(algorithm)}${match[3] ?? ''}`;
  });
  return changed ? next.join(' ') : undefined;
}
