import { createHash } from 'node:crypto';
import { extractReferences, textKindOf } from './extract-references.ts';
import { type HashSelectionOptions, hashSelector } from './hash-selection.ts';
import { DEFAULT_HASH_LENGTH, hashedName, isHashedName } from './hashed-name.ts';
import { resolveReference, type SiteLocation } from './resolve-reference.ts';
import { type Link, rewriteReferences } from './rewrite-references.ts';
import { stronglyConnected } from './strongly-connected.ts';

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
 * the hex SHA-256 of its bytes, so a large site need not be held in memory.
 */
export type SiteFile = Uint8Array | { readonly sha256: string };

/** A file's new name, and its new bytes when they change (a renamed image keeps its bytes). */
export interface HashOutput {
  readonly path: string;
  readonly bytes?: Uint8Array;
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
  /** New content and name of every file that changes (by original path). */
  readonly outputs: ReadonlyMap<string, HashOutput>;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

function fileDigest(file: SiteFile, length: number): string {
  return file instanceof Uint8Array ? digest([file], length) : file.sha256.slice(0, length);
}

function digest(chunks: readonly Uint8Array[], length: number): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex').slice(0, length);
}

/**
 * Plans content-hash names for a site held in memory (`files`: site-relative path → bytes).
 * Pure: nothing is read or written. Referenced files that are selected get `name.<hash>.ext`;
 * every reference to them is rewritten; a file's hash is taken after its own references are
 * rewritten (leaves first); files in a reference cycle share one hash over their rewritten
 * bytes (with each other's names as written); a `.map` named by `sourceMappingURL` is renamed
 * with its source (the comment is not part of the source's hash).
 */
export function planHash(
  files: ReadonlyMap<string, SiteFile>,
  site: SiteLocation,
  options: HashOptions = {},
): HashPlan {
  const length = options.length ?? DEFAULT_HASH_LENGTH;
  const select = hashSelector(options);
  const paths = [...files.keys()].sort();
  const warnings: HashWarning[] = [];
  const texts = new Map<string, string>();
  const links = new Map<string, Link[]>();
  const referenced = new Set<string>();
  const serviceWorkers = new Set<string>();
  const sourceMaps = new Map<string, string>();
  for (const path of paths) {
    const kind = textKindOf(path);
    if (kind === undefined) continue;
    const file = files.get(path);
    if (!(file instanceof Uint8Array)) continue;
    let text: string;
    try {
      text = decoder.decode(file);
    } catch {
      warnings.push({
        code: 'not-utf8',
        path,
        message: `${path} is not UTF-8: its references are not rewritten`,
      });
      continue;
    }
    texts.set(path, text);
    const found: Link[] = [];
    const refs = extractReferences(kind, text);
    const base = refs.find((ref) => ref.kind === 'base');
    if (base !== undefined) {
      // Its references resolve against another URL; guessing it could rewrite the wrong file.
      warnings.push({
        code: 'base-href',
        path,
        reference: base.value,
        message: `${path} has <base href="${base.value}">: its references are not rewritten`,
      });
      links.set(path, found);
      continue;
    }
    for (const ref of refs) {
      const resolved = resolveReference(ref.value, path, site);
      if (resolved.kind !== 'file') continue;
      if (!files.has(resolved.path)) {
        warnings.push({
          code: 'missing',
          path,
          reference: ref.value,
          message: `${path} references ${ref.value}, which is not in the site (${resolved.path})`,
        });
        continue;
      }
      found.push({ ref, target: resolved.path });
      if (ref.keepName === true) serviceWorkers.add(resolved.path);
      if (ref.kind === 'source-map') sourceMaps.set(path, resolved.path);
      else referenced.add(resolved.path);
    }
    links.set(path, found);
  }
  const toHash = new Set([...referenced].filter((path) => select(path, serviceWorkers) === 'hash'));
  // Source-map edges do not order hashing: the map is named after its source, not before it.
  const edges = new Map<string, string[]>();
  for (const [path, found] of links) {
    edges.set(
      path,
      [...new Set(found.filter((l) => l.ref.kind !== 'source-map').map((l) => l.target))].sort(),
    );
  }
  const finalName = new Map<string, string>();
  const finalBytes = new Map<string, Uint8Array>();
  const counts = new Map<string, { references: number; integrity: number }>();
  const cycles: string[][] = [];
  const hashes = new Map<string, string>();
  // A file given by digest only holds no references, so its bytes never change: an integrity
  // on it stays valid and need not be recomputed.
  const bytesOf = (path: string) => {
    const file = finalBytes.get(path) ?? files.get(path);
    return file instanceof Uint8Array ? file : undefined;
  };
  const rewrite = (
    path: string,
    rename: (target: string) => string | undefined,
    withMaps: boolean,
  ) => {
    const found = (links.get(path) ?? []).filter((l) => withMaps || l.ref.kind !== 'source-map');
    return rewriteReferences(texts.get(path) as string, found, rename, bytesOf);
  };
  for (const component of stronglyConnected([...links.keys(), ...toHash], edges)) {
    const members = new Set(component);
    const isCycle =
      component.length > 1 ||
      (edges.get(component[0] as string) ?? []).includes(component[0] as string);
    // Names inside the cycle stay as written while hashing: the placeholder that keeps the
    // hash independent of the hash it would contain.
    const outside = (target: string) => (members.has(target) ? undefined : finalName.get(target));
    const hashInput = component.map((path) =>
      texts.has(path)
        ? encoder.encode(rewrite(path, outside, false).text)
        : (files.get(path) as SiteFile),
    );
    const hashed = component.filter((path) => toHash.has(path));
    if (hashed.length > 0) {
      // Only files with references can be in a cycle, and those are held as bytes.
      const hash = isCycle
        ? digest(
            component.flatMap((path, i) => [
              encoder.encode(`${path}\0`),
              hashInput[i] as Uint8Array,
              encoder.encode('\0'),
            ]),
            length,
          )
        : fileDigest(hashInput[0] as SiteFile, length);
      for (const path of hashed) {
        finalName.set(path, hashedName(path, hash));
        hashes.set(path, hash);
      }
    }
    if (isCycle) cycles.push(component);
    for (const path of component) {
      const map = sourceMaps.get(path);
      const hash = hashes.get(path);
      if (map !== undefined && hash !== undefined && !finalName.has(map) && !toHash.has(map)) {
        finalName.set(map, hashedName(map, hash));
      }
    }
    // Every name this component can see is now known: the bytes that are written. Leaves come
    // first, so an `integrity` is computed over its target's final bytes.
    for (const path of component) {
      if (!texts.has(path)) continue;
      const result = rewrite(path, (target) => finalName.get(target), true);
      for (const problem of result.unrewritable) {
        warnings.push({
          code: 'unrewritable',
          path,
          reference: problem,
          message: `${path}: cannot rewrite "${problem}" in the form it is written`,
        });
      }
      if (result.text !== texts.get(path)) {
        finalBytes.set(path, encoder.encode(result.text));
        counts.set(path, { references: result.references, integrity: result.integrity });
      }
    }
  }
  return assemble(finalName, finalBytes, counts, cycles, warnings);
}

function assemble(
  finalName: ReadonlyMap<string, string>,
  finalBytes: ReadonlyMap<string, Uint8Array>,
  counts: ReadonlyMap<string, { references: number; integrity: number }>,
  cycles: string[][],
  warnings: HashWarning[],
): HashPlan {
  const outputs = new Map<string, HashOutput>();
  for (const path of [...new Set([...finalName.keys(), ...finalBytes.keys()])].sort()) {
    const bytes = finalBytes.get(path);
    outputs.set(path, {
      path: finalName.get(path) ?? path,
      ...(bytes === undefined ? {} : { bytes }),
    });
    if (!finalName.has(path) && finalBytes.has(path) && isHashedName(path)) {
      warnings.push({
        code: 'hashed-name-changed',
        path,
        message: `${path} has a hashed name but its bytes change; its name no longer matches its content`,
      });
    }
  }
  const renames = [...finalName]
    .map(([from, to]) => ({ from, to }))
    .sort((a, b) => (a.from < b.from ? -1 : 1));
  const rewrites = [...counts]
    .map(([path, c]) => ({ path, ...c }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  return { version: 1, renames, rewrites, cycles, warnings, outputs };
}
