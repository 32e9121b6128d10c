import { createHash } from 'node:crypto';
import { JobError } from '../../errors.ts';
import { extractReferences, textKindOf } from './extract-references.ts';
import { hashSelector } from './hash-selection.ts';
import { DEFAULT_HASH_LENGTH, hashedName, isHashedName } from './hashed-name.ts';
import type {
  HashOptions,
  HashOutput,
  HashPlan,
  HashWarning,
  PlannedRewrite,
} from './plan-hash.ts';
import { type DigestOf, digestsOf, type IntegrityAlgorithm } from './recompute-integrity.ts';
import { resolveReference, type SiteLocation } from './resolve-reference.ts';
import { applyEdits, type Link, rewriteEdits } from './rewrite-references.ts';
import { type Components, stronglyConnected } from './strongly-connected.ts';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

// What pass 1 learns of each file, in flags by the file's index in the sorted path list: a
// few bytes a file, outside the garbage-collected heap, rather than sets of paths.
const REFERENCED = 1;
const SERVICE_WORKER = 2;
const TO_HASH = 4;
const INTEGRITY_TARGET = 8;
const NO_SERVICE_WORKERS: ReadonlySet<string> = new Set();

type Digests = Readonly<Record<IntegrityAlgorithm, string>>;

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function allDigests(data: Uint8Array | string): Digests {
  const of = digestsOf(data);
  return { sha256: of('sha256'), sha384: of('sha384'), sha512: of('sha512') };
}

/**
 * A copy of a string that does not share memory with the text it was cut from. V8 keeps a
 * slice (or a concatenation of slices) of a file's text as a view that holds the whole text
 * alive; what the planner keeps for the rest of the run must not hold the file.
 */
function detached(text: string): string {
  return Buffer.from(text, 'utf16le').toString('utf16le');
}

/**
 * The engine behind `hash`, in two passes so that a site never has to be held in memory.
 * Pass 1 (`addText` / `addLeaf`, any order): each file once, its references found and
 * resolved (kept as offsets and targets) or, for a file that holds none, its digest. Then
 * `order()` builds the reference graph and returns its strongly connected components, leaves
 * first. Pass 2 (`hashComponent`, in that order): the texts of one component (those `wants`
 * names), read again; its hash is taken after its references are rewritten, files in a cycle
 * share one hash over their rewritten bytes (with each other's names as written); a `.map`
 * named by `sourceMappingURL` is renamed with its source. What stays between files is the map:
 * names, links, and for each changed file the edits that remake it. Pure: it reads and writes
 * nothing; the caller brings the bytes.
 */
export class HashPlanner {
  readonly #site: SiteLocation;
  readonly #length: number;
  readonly #select: ReturnType<typeof hashSelector>;
  readonly #keepBytes: boolean;
  /** Every site path, sorted: a file is its index here, and resolved targets these strings. */
  readonly #sorted: readonly string[];
  /** SHA-256 of each file's bytes (32 bytes at 32 × index): its hash, or what a text was. */
  readonly #sha256: Uint8Array;
  readonly #flags: Uint8Array;
  /** The links of each text file still to be hashed (empty: a text that names nothing). */
  readonly #links: (readonly Link[] | undefined)[];
  readonly #early = new Map<string, HashWarning[]>();
  readonly #sourceMaps = new Map<string, string>();
  /** SRI digests of the final bytes of files an `integrity` is computed over. */
  readonly #digests = new Map<string, Digests>();
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
    this.#site = site;
    this.#length = options.length ?? DEFAULT_HASH_LENGTH;
    this.#select = hashSelector(options);
    this.#keepBytes = keepBytes;
    const list = Array.isArray(paths) ? (paths as string[]) : [...paths];
    const sorted = list.every((path, i) => i === 0 || (list[i - 1] as string) < path);
    this.#sorted = sorted ? list : [...list].sort();
    this.#sha256 = new Uint8Array(this.#sorted.length * 32);
    this.#flags = new Uint8Array(this.#sorted.length);
    this.#links = new Array(this.#sorted.length);
  }

  /** The index of a site path in the sorted list, or -1. */
  #indexOf(path: string): number {
    let low = 0;
    let high = this.#sorted.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const at = this.#sorted[mid] as string;
      if (at === path) return mid;
      if (at < path) low = mid + 1;
      else high = mid - 1;
    }
    return -1;
  }

  #at(path: string): number {
    const i = this.#indexOf(path);
    if (i < 0) throw new Error(`hash: ${path} is not a file of the site`);
    return i;
  }

  #has(path: string, flag: number): boolean {
    const i = this.#indexOf(path);
    return i >= 0 && ((this.#flags[i] as number) & flag) !== 0;
  }

  #hashOf(i: number): string {
    return Buffer.from(this.#sha256.buffer, i * 32, 32).toString('hex');
  }

  /** Pass 1, a file whose kind can hold references (HTML, CSS, JS, web manifest). */
  addText(path: string, bytes: Uint8Array): void {
    const kind = textKindOf(path);
    if (kind === undefined) throw new Error(`hash: ${path} is not a text file`);
    const i = this.#at(path);
    const source = createHash('sha256').update(bytes).digest();
    this.#sha256.set(source, i * 32);
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      this.#warn(path, {
        code: 'not-utf8',
        path,
        message: `${path} is not UTF-8: its references are not rewritten`,
      });
      this.addLeaf(path, source.toString('hex'), bytes);
      return;
    }
    const refs = extractReferences(kind, text);
    const base = refs.find((ref) => ref.kind === 'base');
    if (base !== undefined) {
      // Its references resolve against another URL; guessing it could rewrite the wrong file.
      const value = detached(base.value);
      this.#warn(path, {
        code: 'base-href',
        path,
        reference: value,
        message: `${path} has <base href="${value}">: its references are not rewritten`,
      });
      this.#links[i] = [];
      return;
    }
    const links: Link[] = [];
    for (const ref of refs) {
      const resolved = resolveReference(ref.value, path, this.#site);
      if (resolved.kind !== 'file') continue;
      const t = this.#indexOf(resolved.path);
      const target = this.#sorted[t];
      if (target === undefined) {
        const value = detached(ref.value);
        this.#warn(path, {
          code: 'missing',
          path,
          reference: value,
          message: `${path} references ${value}, which is not in the site (${detached(resolved.path)})`,
        });
        continue;
      }
      const { start, end, kind: refKind, integrity } = ref;
      links.push({
        start,
        end,
        kind: refKind,
        target,
        ...(integrity === undefined
          ? {}
          : {
              integrity: {
                start: integrity.start,
                end: integrity.end,
                value: detached(integrity.value),
              },
            }),
      });
      if (ref.keepName === true) this.#flags[t] = (this.#flags[t] as number) | SERVICE_WORKER;
      if (ref.kind === 'source-map') this.#sourceMaps.set(path, target);
      else this.#flags[t] = (this.#flags[t] as number) | REFERENCED;
    }
    this.#links[i] = links;
  }

  /**
   * Pass 1, a file that holds no references (an image, a font): its hex SHA-256, and its bytes
   * when they are at hand (in memory), for an `integrity` on it to be checked against. Without
   * them (read from disk, streamed) such an integrity is left as written: the bytes it was
   * computed over do not change.
   */
  addLeaf(path: string, sha256: string, bytes?: Uint8Array): void {
    this.#sha256.set(Buffer.from(sha256, 'hex'), this.#at(path) * 32);
    if (bytes !== undefined) this.#digests.set(path, allDigests(bytes));
  }

  /**
   * After pass 1: the files in the order pass 2 takes them, as strongly connected components
   * of the reference graph, leaves first (`component(components, k)` names the files of one).
   */
  order(): Components {
    for (const path of [...this.#early.keys()].sort())
      this.#warnings.push(...(this.#early.get(path) ?? []));
    this.#early.clear();
    const flags = this.#flags;
    for (let i = 0; i < this.#sorted.length; i++) {
      const path = this.#sorted[i] as string;
      const f = flags[i] as number;
      const sw = (f & SERVICE_WORKER) !== 0 ? new Set([path]) : NO_SERVICE_WORKERS;
      if ((f & REFERENCED) !== 0 && this.#select(path, sw) === 'hash') flags[i] = f | TO_HASH;
      for (const link of this.#links[i] ?? []) {
        if (link.integrity === undefined) continue;
        const t = this.#indexOf(link.target);
        flags[t] = (flags[t] as number) | INTEGRITY_TARGET;
      }
    }
    for (const path of this.#digests.keys())
      if (!this.#has(path, INTEGRITY_TARGET)) this.#digests.delete(path);
    return stronglyConnected(
      this.#sorted.length,
      (i) => this.#links[i] !== undefined || ((flags[i] as number) & TO_HASH) !== 0,
      // Source-map edges do not order hashing: the map is named after its source, not before it.
      (i) => {
        const targets = new Set<number>();
        for (const link of this.#links[i] ?? [])
          if (link.kind !== 'source-map') targets.add(this.#indexOf(link.target));
        return [...targets].sort((a, b) => a - b);
      },
    );
  }

  /** The paths of component `k` of `order()`'s components. */
  component(components: Components, k: number): string[] {
    const start = k === 0 ? 0 : (components.ends[k - 1] as number);
    return Array.from(
      components.members.subarray(start, components.ends[k]),
      (i) => this.#sorted[i] as string,
    );
  }

  /** Whether pass 2 may need this file's bytes (every one it does need is among them). */
  wants(path: string): boolean {
    const i = this.#indexOf(path);
    const links = i < 0 ? undefined : this.#links[i];
    return (
      links !== undefined &&
      (links.length > 0 || ((this.#flags[i] as number) & (TO_HASH | INTEGRITY_TARGET)) !== 0)
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
    const texts = new Map<string, string>();
    for (const [path, bytes] of read) {
      const i = this.#indexOf(path);
      if (i < 0 || this.#links[i] === undefined) continue;
      const digest = createHash('sha256').update(bytes).digest();
      if (!digest.equals(this.#sha256.subarray(i * 32, i * 32 + 32))) {
        throw new JobError('E_HASH_RACE', `${path} changed while the site was being hashed`, {
          at: path,
          hint: 'run hash again once the build that writes the site has finished',
        });
      }
      texts.set(path, decoder.decode(bytes));
    }
    const members = new Set(component);
    const first = component[0] as string;
    const index = component.map((path) => this.#at(path));
    const linksOf = (path: string) => this.#links[this.#at(path)] ?? [];
    const isCycle =
      component.length > 1 ||
      linksOf(first).some((link) => link.kind !== 'source-map' && link.target === first);
    const hashed = component.filter(
      (_, k) => ((this.#flags[index[k] as number] as number) & TO_HASH) !== 0,
    );
    const textOf = (path: string): string => {
      const text = texts.get(path);
      if (text === undefined) throw new Error(`hash: ${path} is needed but was not read`);
      return text;
    };
    // Leaves come first, so a target outside the component has its final digests; one inside
    // it that is not final yet is hashed as it was read.
    const digestOf = (target: string): DigestOf | undefined => {
      const known = this.#digests.get(target);
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
          this.#links[index[0] as number] !== undefined
            ? sha256Hex(rewrite(first, outside, false).text)
            : this.#hashOf(index[0] as number)
        ).slice(0, this.#length);
      }
      for (const path of hashed) this.#finalName.set(path, hashedName(path, hash));
    }
    // Only a cycle among files hashed together is news: pages that link each other keep names.
    if (isCycle && hashed.length > 0) this.#cycles.push([...component]);
    for (const path of component) {
      const map = this.#sourceMaps.get(path);
      this.#sourceMaps.delete(path);
      if (
        map !== undefined &&
        hash !== undefined &&
        hashed.includes(path) &&
        !this.#finalName.has(map) &&
        !this.#has(map, TO_HASH)
      ) {
        this.#finalName.set(map, hashedName(map, hash));
      }
    }
    // Every name this component can see is now known: the bytes that are written.
    const changed = new Map<string, string>();
    for (const [k, path] of component.entries()) {
      const i = index[k] as number;
      const links = this.#links[i];
      if (links === undefined) continue;
      const integrityTarget = ((this.#flags[i] as number) & INTEGRITY_TARGET) !== 0;
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
        if (integrityTarget) this.#digests.set(path, allDigests(result.text));
      }
      this.#links[i] = undefined;
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
    for (const path of this.#sorted) {
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

  #warn(path: string, warning: HashWarning): void {
    const list = this.#early.get(path);
    if (list === undefined) this.#early.set(path, [warning]);
    else list.push(warning);
  }
}
