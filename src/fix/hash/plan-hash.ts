import { textKindOf } from './extract-references.ts';
import { HashPlanner } from './hash-planner.ts';
import type { HashSelectionOptions } from './hash-selection.ts';
import { sha256Hex } from './reference-graph.ts';
import type { SiteLocation } from './resolve-reference.ts';
import type { Edit } from './rewrite-references.ts';

export interface HashOptions extends HashSelectionOptions {
  /** Hex digits of the hash in a name (default 8). */
  readonly length?: number | undefined;
}

export interface HashWarning {
  readonly code: 'missing' | 'not-utf8' | 'unrewritable' | 'hashed-name-changed' | 'base-href';
  readonly path: string;
  readonly reference?: string;
  readonly message: string;
}

/**
 * A file of the site: its bytes, or (for a file that holds no references: images, fonts) only
 * the hex SHA-256 of its bytes.
 */
export type SiteFile = Uint8Array | { readonly sha256: string };

/**
 * How a file's new bytes are made from the bytes it was planned from: what a plan made from
 * disk keeps instead of the bytes, so that applying it reads each file again (and checks that
 * the edits made the bytes planned: a file changed since is refused).
 */
export interface PlannedRewrite {
  /** Replacements in the decoded text (UTF-16 offsets), sorted. */
  readonly edits: readonly Edit[];
  /** Size and hex SHA-256 of the new bytes. */
  readonly size: number;
  readonly sha256: string;
}

/** A file's new name, and how its bytes change when they do (a renamed image keeps its bytes). */
export interface HashOutput {
  readonly path: string;
  /** The new bytes, when the site was planned in memory (`planHash`). */
  readonly bytes?: Uint8Array;
  readonly rewrite?: PlannedRewrite;
}

/** What `hash` will do, as data: renames, rewritten files, cycles, warnings and new bytes. */
export interface HashPlan {
  readonly version: 1;
  /** Original path → hashed path, sorted by original path. */
  readonly renames: readonly { readonly from: string; readonly to: string }[];
  /** Files whose bytes change, by original path, with the count of rewritten references. */
  readonly rewrites: readonly {
    readonly path: string;
    readonly references: number;
    readonly integrity: number;
  }[];
  /** Groups of files that reference each other, each hashed together with one hash. */
  readonly cycles: readonly (readonly string[])[];
  readonly warnings: readonly HashWarning[];
  /** New name and content of every file that changes (by original path). */
  readonly outputs: ReadonlyMap<string, HashOutput>;
}

/**
 * Plans content-hash names for a site held in memory (`files`: site-relative path → bytes),
 * with the new bytes in the plan. Pure: nothing is read or written. Referenced files that are
 * selected get `name.<hash>.ext`; every reference to them is rewritten; a file's hash is taken
 * after its own references are rewritten (leaves first); files in a reference cycle share one
 * hash over their rewritten bytes; a `.map` named by `sourceMappingURL` is renamed with its
 * source (see HashPlanner; a site on disk: planSiteHash).
 */
export function planHash(
  files: ReadonlyMap<string, SiteFile>,
  site: SiteLocation,
  options: HashOptions = {},
): HashPlan {
  const planner = new HashPlanner(files.keys(), site, options, true);
  for (const [path, file] of files) {
    if (!(file instanceof Uint8Array)) planner.addLeaf(path, file.sha256);
    else if (textKindOf(path) === undefined) planner.addLeaf(path, sha256Hex(file), file);
    else planner.addText(path, file);
  }
  const components = planner.order();
  for (let k = 0; k < components.ends.length; k++) {
    const component = planner.component(components, k);
    const read = new Map<string, Uint8Array>();
    for (const path of component) {
      const file = files.get(path);
      if (planner.wants(path) && file instanceof Uint8Array) read.set(path, file);
    }
    planner.hashComponent(component, read);
  }
  return planner.plan();
}
