import { posix } from 'node:path';
import { recomputeIntegrity } from './recompute-integrity.ts';
import type { Reference } from './reference.ts';
import { renameInReference } from './resolve-reference.ts';

/** A reference of one file, resolved to the site file it names. */
export interface Link {
  readonly ref: Reference;
  readonly target: string;
}

export interface RewriteResult {
  readonly text: string;
  /** References renamed. */
  readonly references: number;
  /** `integrity` attributes recomputed. */
  readonly integrity: number;
  /** References whose written form could not take the new name. */
  readonly unrewritable: readonly string[];
}

/**
 * Rewrites one file's text: each reference whose target has a new name (`rename(target)`)
 * gets it in the form it was written in, and each `integrity` beside a reference is
 * recomputed over the target's final bytes (`bytesOf`; undefined for a file whose bytes never
 * change, whose integrity stays valid). Every other character stays.
 */
export function rewriteReferences(
  text: string,
  links: readonly Link[],
  rename: (target: string) => string | undefined,
  bytesOf: (target: string) => Uint8Array | undefined,
): RewriteResult {
  const edits: { start: number; end: number; text: string }[] = [];
  const unrewritable: string[] = [];
  let references = 0;
  let integrity = 0;
  for (const { ref, target } of links) {
    const to = rename(target);
    if (to !== undefined && to !== target) {
      const raw = text.slice(ref.start, ref.end);
      const next = renameInReference(raw, posix.basename(target), posix.basename(to));
      if (next === undefined) unrewritable.push(raw);
      else {
        edits.push({ start: ref.start, end: ref.end, text: next });
        references += 1;
      }
    }
    const bytes = ref.integrity === undefined ? undefined : bytesOf(target);
    if (ref.integrity !== undefined && bytes !== undefined) {
      const value = recomputeIntegrity(ref.integrity.value, bytes);
      if (value !== undefined && value !== ref.integrity.value) {
        edits.push({ start: ref.integrity.start, end: ref.integrity.end, text: value });
        integrity += 1;
      }
    }
  }
  if (edits.length === 0) return { text, references, integrity, unrewritable };
  edits.sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const edit of edits) {
    if (edit.start < at) continue;
    out += text.slice(at, edit.start) + edit.text;
    at = edit.end;
  }
  return { text: out + text.slice(at), references, integrity, unrewritable };
}
