import { posix } from 'node:path';
import { type DigestOf, recomputeIntegrity } from './recompute-integrity.ts';
import type { IntegritySpan, ReferenceKind } from './reference.ts';
import { renameInReference } from './resolve-reference.ts';

/**
 * A reference of one file, resolved to the site file it names: where it is (UTF-16 offsets
 * into the decoded text) and what it names, not the text itself, so a planner can keep the
 * links of every file without keeping the files.
 */
export interface Link {
  readonly start: number;
  readonly end: number;
  readonly kind: ReferenceKind;
  readonly target: string;
  readonly integrity?: IntegritySpan;
}

/** One replacement in a text: the characters `start`..`end` become `text`. */
export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export interface RewriteEdits {
  /** Sorted, not overlapping: what `applyEdits` makes the new text from. */
  readonly edits: readonly Edit[];
  /** References renamed. */
  readonly references: number;
  /** `integrity` attributes recomputed. */
  readonly integrity: number;
  /** References whose written form could not take the new name. */
  readonly unrewritable: readonly string[];
}

/**
 * The edits that rewrite one file's text: each reference whose target has a new name
 * (`rename(target)`) gets it in the form it was written in, and each `integrity` beside a
 * reference is recomputed over the target's final bytes (`digestOf(target)`; undefined for a
 * file whose bytes never change, whose integrity stays valid). Every other character stays.
 */
export function rewriteEdits(
  text: string,
  links: readonly Link[],
  rename: (target: string) => string | undefined,
  digestOf: (target: string) => DigestOf | undefined,
): RewriteEdits {
  const edits: Edit[] = [];
  const unrewritable: string[] = [];
  let references = 0;
  let integrity = 0;
  for (const link of links) {
    const to = rename(link.target);
    if (to !== undefined && to !== link.target) {
      const raw = text.slice(link.start, link.end);
      const next = renameInReference(raw, posix.basename(link.target), posix.basename(to));
      if (next === undefined) unrewritable.push(raw);
      else {
        edits.push({ start: link.start, end: link.end, text: next });
        references += 1;
      }
    }
    const digest = link.integrity === undefined ? undefined : digestOf(link.target);
    if (link.integrity !== undefined && digest !== undefined) {
      const value = recomputeIntegrity(link.integrity.value, digest);
      if (value !== undefined && value !== link.integrity.value) {
        edits.push({ start: link.integrity.start, end: link.integrity.end, text: value });
        integrity += 1;
      }
    }
  }
  edits.sort((a, b) => a.start - b.start);
  const kept: Edit[] = [];
  let at = 0;
  for (const edit of edits) {
    if (edit.start < at) continue;
    kept.push(edit);
    at = edit.end;
  }
  return { edits: kept, references, integrity, unrewritable };
}

/** The text with the edits (sorted, not overlapping) made. */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  if (edits.length === 0) return text;
  let out = '';
  let at = 0;
  for (const edit of edits) {
    out += text.slice(at, edit.start) + edit.text;
    at = edit.end;
  }
  return out + text.slice(at);
}
