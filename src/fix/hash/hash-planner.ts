import { createHash } from 'node:crypto';
import { JobError } from '../../errors.ts';
import { hashSelector } from './hash-selection.ts';
import { DEFAULT_HASH_LENGTH, hashedName, isHashedName } from './hashed-name.ts';
import type {
  HashOptions,
  HashOutput,
  HashPlan,
  HashWarning,
  PlannedRewrite,
} from './plan-hash.ts';
import { type DigestOf, digestsOf } from './recompute-integrity.ts';
import {
  allDigests,
  detached,
  INTEGRITY_TARGET,
  REFERENCED,
  ReferenceGraph,
  SERVICE_WORKER,
  sha256Hex,
  TO_HASH,
} from './reference-graph.ts';
import type { SiteLocation } from './resolve-reference.ts';
import { applyEdits, rewriteEdits } from './rewrite-references.ts';
import { type Components, stronglyConnected } from './strongly-connected.ts';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();
const NO_SERVICE_WORKERS: ReadonlySet<string> = new Set();

/**
 * The engine behind `hash`, in two passes so that a site never has to be held in memory.
 * Pass 1 (`addText` / `addLeaf`, any order; see ReferenceGraph): each file once, its references
 * found and resolved (kept as offsets and targets) or, for a file that holds none, its digest.
 * Then `order()` builds the reference graph and returns its strongly connected components, leaves
 * first. Pass 2 (`hashComponent`, in that order): the texts of one component (those `wants`
 * names), read again; its hash is taken after its references are rewritten, files in a cycle
 * share one hash over their rewritten bytes (with each other's names as written); a `.map`
 * named by `sourceMappingURL` is renamed with its source. What stays between files is the map:
 * names, links, and for each changed file the edits that remake it. Pure: it reads and writes
 * nothing; the caller brings the bytes.
 */
export class HashPlanner {
  readonly #graph: ReferenceGraph;
  readonly #length: number;
  readonly #select: ReturnType<typeof hashSelector>;
  readonly #keepBytes: boolean;
  readonly #finalName = new Map<string, string>();
  readonly #rewrites = new Map<string, PlannedRewrite>();
  readonly #bytes = new Map<string, Uint8Array>();
  readonly #counts = new Map<string, { references: number; integrity: number }>();
  readonly #cycles: string[][] = [];
  readonly #warnings: HashWarning[] = [];

  /**
   * `paths`: every file of the site (site-relative, `/`-separated). `keepBytes`: keep each
   * changed file's new bytes in the plan (a site planned in memory) rather than only the edits.
   */
  constructor(
    paths: Iterable<string>,
    site: SiteLocation,
    options: HashOptions = {},
    keepBytes = false,
  ) {
    this.#graph = new ReferenceGraph(paths, site);
    this.#length = options.length ?? DEFAULT_HASH_LENGTH;
    this.#select = hashSelector(options);
    this.#keepBytes = keepBytes;
  }

  /** Pass 1, a file whose kind can hold references (HTML, CSS, JS, web manifest). */
  addText(path: string, bytes: Uint8Array): void {
    this.#graph.addText(path, bytes);
  }

  /**
   * Pass 1, a file that holds no references: its hex SHA-256, and its bytes when they are at
   * hand (see ReferenceGraph.addLeaf).
   */
  addLeaf(path: string, sha256: string, bytes?: Uint8Array): void {
    this.#graph.addLeaf(path, sha256, bytes);
  }

  /**
   * After pass 1: the files in the order pass 2 takes them, as strongly connected components
   * of the reference graph, leaves first (`component(components, k)` names the files of one).
   */
  order(): Components {
    const graph = this.#graph;
    this.#warnings.push(...graph.takeWarnings());
    const flags = graph.flags;
    for (let i = 0; i < graph.sorted.length; i++) {
      const path = graph.sorted[i] as string;
      const f = flags[i] as number;
      const sw = (f & SERVICE_WORKER) !== 0 ? new Set([path]) : NO_SERVICE_WORKERS;
      if ((f & REFERENCED) !== 0 && this.#select(path, sw) === 'hash') flags[i] = f | TO_HASH;
      for (const link of graph.links[i] ?? []) {
        if (link.integrity === undefined) continue;
        const t = graph.indexOf(link.target);
        flags[t] = (flags[t] as number) | INTEGRITY_TARGET;
      }
    }
    for (const path of graph.digests.keys())
      if (!graph.has(path, INTEGRITY_TARGET)) graph.digests.delete(path);
    return stronglyConnected(
      graph.sorted.length,
      (i) => graph.links[i] !== undefined || ((flags[i] as number) & TO_HASH) !== 0,
      // Source-map edges do not order hashing: the map is named after its source, not before it.
      (i) => {
        const targets = new Set<number>();
        for (const link of graph.links[i] ?? [])
          if (link.kind !== 'source-map') targets.add(graph.indexOf(link.target));
        return [...targets].sort((a, b) => a - b);
      },
    );
  }

  /** The paths of component `k` of `order()`'s components. */
  component(components: Components, k: number): string[] {
    const start = k === 0 ? 0 : (components.ends[k - 1] as number);
    return Array.from(
      components.members.subarray(start, components.ends[k]),
      (i) => this.#graph.sorted[i] as string,
    );
  }

  /** Whether pass 2 may need this file's bytes (every one it does need is among them). */
  wants(path: string): boolean {
    const graph = this.#graph;
    const i = graph.indexOf(path);
    const links = i < 0 ? undefined : graph.links[i];
    return (
      links !== undefined &&
      (links.length > 0 || ((graph.flags[i] as number) & (TO_HASH | INTEGRITY_TARGET)) !== 0)
    );
  }

  /**
   * Pass 2, one component (from `order()`, in order) with the bytes of its files that `wants`
   * names, as read again. Returns the new text of each file whose bytes change.
   */
  hashComponent(
    component: readonly string[],
    read: ReadonlyMap<string, Uint8Array>,
  ): Map<string, string> {
    const graph = this.#graph;
    const texts = new Map<string, string>();
    for (const [path, bytes] of read) {
      const i = graph.indexOf(path);
      if (i < 0 || graph.links[i] === undefined) continue;
      const digest = createHash('sha256').update(bytes).digest();
      if (!digest.equals(graph.sha256.subarray(i * 32, i * 32 + 32))) {
        throw new JobError('E_HASH_RACE', `${path} changed while the site was being hashed`, {
          at: path,
          hint: 'run hash again once the build that writes the site has finished',
        });
      }
      texts.set(path, decoder.decode(bytes));
    }
    const members = new Set(component);
    const first = component[0] as string;
    const index = component.map((path) => graph.at(path));
    const linksOf = (path: string) => graph.links[graph.at(path)] ?? [];
    const isCycle =
      component.length > 1 ||
      linksOf(first).some((link) => link.kind !== 'source-map' && link.target === first);
    const hashed = component.filter(
      (_, k) => ((graph.flags[index[k] as number] as number) & TO_HASH) !== 0,
    );
    const textOf = (path: string): string => {
      const text = texts.get(path);
      if (text === undefined) throw new Error(`hash: ${path} is needed but was not read`);
      return text;
    };
    // Leaves come first, so a target outside the component has its final digests; one inside
    // it that is not final yet is hashed as it was read.
    const digestOf = (target: string): DigestOf | undefined => {
      const known = graph.digests.get(target);
      if (known !== undefined) return (algorithm) => known[algorithm];
      const text = members.has(target) ? texts.get(target) : undefined;
      return text === undefined ? undefined : digestsOf(text);
    };
    const rewrite = (
      path: string,
      rename: (target: string) => string | undefined,
      withMaps: boolean,
    ) => {
      const links = linksOf(path);
      const text = textOf(path);
      const result = rewriteEdits(
        text,
        withMaps ? links : links.filter((link) => link.kind !== 'source-map'),
        rename,
        digestOf,
      );
      return { ...result, text: applyEdits(text, result.edits) };
    };
    let hash: string | undefined;
    if (hashed.length > 0) {
      // Names inside the cycle stay as written while hashing: the placeholder that keeps the
      // hash independent of the hash it would contain.
      const outside = (target: string) =>
        members.has(target) ? undefined : this.#finalName.get(target);
      if (isCycle) {
        const digest = createHash('sha256');
        for (const path of component) {
          digest.update(`${path}\0`);
          digest.update(rewrite(path, outside, false).text);
          digest.update('\0');
        }
        hash = digest.digest('hex').slice(0, this.#length);
      } else {
        hash = (
          graph.links[index[0] as number] !== undefined
            ? sha256Hex(rewrite(first, outside, false).text)
            : graph.hashOf(index[0] as number)
        ).slice(0, this.#length);
      }
      for (const path of hashed) this.#finalName.set(path, hashedName(path, hash));
    }
    // Only a cycle among files hashed together is news: pages that link each other keep names.
    if (isCycle && hashed.length > 0) this.#cycles.push([...component]);
    for (const path of component) {
      const map = graph.sourceMaps.get(path);
      graph.sourceMaps.delete(path);
      if (
        map !== undefined &&
        hash !== undefined &&
        hashed.includes(path) &&
        !this.#finalName.has(map) &&
        !graph.has(map, TO_HASH)
      ) {
        this.#finalName.set(map, hashedName(map, hash));
      }
    }
    // Every name this component can see is now known: the bytes that are written.
    const changed = new Map<string, string>();
    for (const [k, path] of component.entries()) {
      const i = index[k] as number;
      const links = graph.links[i];
      if (links === undefined) continue;
      const integrityTarget = ((graph.flags[i] as number) & INTEGRITY_TARGET) !== 0;
      const needed =
        integrityTarget ||
        (hash !== undefined && (isCycle || hashed.includes(path))) ||
        links.some((link) => link.integrity !== undefined || this.#finalName.has(link.target));
      if (needed) {
        const result = rewrite(path, (target) => this.#finalName.get(target), true);
        for (const problem of result.unrewritable) {
          const raw = detached(problem);
          this.#warnings.push({
            code: 'unrewritable',
            path,
            reference: raw,
            message: `${path}: cannot rewrite "${raw}" in the form it is written`,
          });
        }
        if (result.text !== textOf(path)) {
          changed.set(path, result.text);
          this.#rewrites.set(path, {
            edits: result.edits.map((edit) => ({ ...edit, text: detached(edit.text) })),
            size: Buffer.byteLength(result.text),
            sha256: sha256Hex(result.text),
          });
          if (this.#keepBytes) this.#bytes.set(path, encoder.encode(result.text));
          this.#counts.set(path, { references: result.references, integrity: result.integrity });
        }
        if (integrityTarget) graph.digests.set(path, allDigests(result.text));
      }
      graph.links[i] = undefined;
    }
    return changed;
  }

  /** After pass 2: the plan. */
  plan(): HashPlan {
    const outputs = new Map<string, HashOutput>();
    const renames: { from: string; to: string }[] = [];
    const rewrites: { path: string; references: number; integrity: number }[] = [];
    const warnings = [...this.#warnings];
    // The path list is sorted: walking it gives every list of the plan in order.
    for (const path of this.#graph.sorted) {
      const to = this.#finalName.get(path);
      const rewrite = this.#rewrites.get(path);
      if (to === undefined && rewrite === undefined) continue;
      const bytes = this.#bytes.get(path);
      outputs.set(path, {
        path: to ?? path,
        ...(bytes === undefined ? {} : { bytes }),
        ...(rewrite === undefined ? {} : { rewrite }),
      });
      if (to !== undefined) renames.push({ from: path, to });
      const counts = this.#counts.get(path);
      if (counts !== undefined) rewrites.push({ path, ...counts });
      if (to === undefined && isHashedName(path)) {
        warnings.push({
          code: 'hashed-name-changed',
          path,
          message: `${path} has a hashed name but its bytes change; its name no longer matches its content`,
        });
      }
    }
    return { version: 1, renames, rewrites, cycles: this.#cycles, warnings, outputs };
  }
}
