import { createHash } from 'node:crypto';
import { extractReferences, textKindOf } from './extract-references.ts';
import type { HashWarning } from './plan-hash.ts';
import { digestsOf, type IntegrityAlgorithm } from './recompute-integrity.ts';
import { resolveReference, type SiteLocation } from './resolve-reference.ts';
import type { Link } from './rewrite-references.ts';

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// What pass 1 learns of each file, in flags by the file's index in the sorted path list: a
// few bytes a file, outside the garbage-collected heap, rather than sets of paths.
export const REFERENCED = 1;
export const SERVICE_WORKER = 2;
export const TO_HASH = 4;
export const INTEGRITY_TARGET = 8;

export type Digests = Readonly<Record<IntegrityAlgorithm, string>>;

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function allDigests(data: Uint8Array | string): Digests {
  const of = digestsOf(data);
  return { sha256: of('sha256'), sha384: of('sha384'), sha512: of('sha512') };
}

/**
 * A copy of a string that does not share memory with the text it was cut from. V8 keeps a
 * slice (or a concatenation of slices) of a file's text as a view that holds the whole text
 * alive; what the planner keeps for the rest of the run must not hold the file.
 */
export function detached(text: string): string {
  return Buffer.from(text, 'utf16le').toString('utf16le');
}

/**
 * Pass 1 of HashPlanner: the reference graph of a site, learnt by reading each file once, in
 * any order (`addText` / `addLeaf`). A text file's references are found and resolved, and kept
 * as offsets and targets (its links); a file that holds none keeps only its digest. Every file
 * is its index in the sorted path list; what is kept per file is a few bytes and its links,
 * never its bytes. Pure: the caller brings the bytes.
 */
export class ReferenceGraph {
  readonly #site: SiteLocation;
  /** Every site path, sorted: a file is its index here, and resolved targets these strings. */
  readonly sorted: readonly string[];
  /** SHA-256 of each file's bytes (32 bytes at 32 × index): its hash, or what a text was. */
  readonly sha256: Uint8Array;
  readonly flags: Uint8Array;
  /** The links of each text file still to be hashed (empty: a text that names nothing). */
  readonly links: (readonly Link[] | undefined)[];
  /** Source → the `.map` its `sourceMappingURL` names. */
  readonly sourceMaps = new Map<string, string>();
  /** SRI digests of the final bytes of files an `integrity` is computed over. */
  readonly digests = new Map<string, Digests>();
  readonly #early = new Map<string, HashWarning[]>();

  /** `paths`: every file of the site (site-relative, `/`-separated). */
  constructor(paths: Iterable<string>, site: SiteLocation) {
    this.#site = site;
    const list = Array.isArray(paths) ? (paths as string[]) : [...paths];
    const sorted = list.every((path, i) => i === 0 || (list[i - 1] as string) < path);
    this.sorted = sorted ? list : [...list].sort();
    this.sha256 = new Uint8Array(this.sorted.length * 32);
    this.flags = new Uint8Array(this.sorted.length);
    this.links = new Array(this.sorted.length);
  }

  /** The index of a site path in the sorted list, or -1. */
  indexOf(path: string): number {
    let low = 0;
    let high = this.sorted.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const at = this.sorted[mid] as string;
      if (at === path) return mid;
      if (at < path) low = mid + 1;
      else high = mid - 1;
    }
    return -1;
  }

  /** The index of a site path; a path outside the site is a bug of the caller. */
  at(path: string): number {
    const i = this.indexOf(path);
    if (i < 0) throw new Error(`hash: ${path} is not a file of the site`);
    return i;
  }

  has(path: string, flag: number): boolean {
    const i = this.indexOf(path);
    return i >= 0 && ((this.flags[i] as number) & flag) !== 0;
  }

  hashOf(i: number): string {
    return Buffer.from(this.sha256.buffer, i * 32, 32).toString('hex');
  }

  /** A file whose kind can hold references (HTML, CSS, JS, web manifest). */
  addText(path: string, bytes: Uint8Array): void {
    const kind = textKindOf(path);
    if (kind === undefined) throw new Error(`hash: ${path} is not a text file`);
    const i = this.at(path);
    const source = createHash('sha256').update(bytes).digest();
    this.sha256.set(source, i * 32);
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
      this.links[i] = [];
      return;
    }
    const links: Link[] = [];
    for (const ref of refs) {
      const resolved = resolveReference(ref.value, path, this.#site);
      if (resolved.kind !== 'file') continue;
      const t = this.indexOf(resolved.path);
      const target = this.sorted[t];
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
      if (ref.keepName === true) this.flags[t] = (this.flags[t] as number) | SERVICE_WORKER;
      if (ref.kind === 'source-map') this.sourceMaps.set(path, target);
      else this.flags[t] = (this.flags[t] as number) | REFERENCED;
    }
    this.links[i] = links;
  }

  /**
   * A file that holds no references (an image, a font): its hex SHA-256, and its bytes when
   * they are at hand (in memory), for an `integrity` on it to be checked against. Without them
   * (read from disk, streamed) such an integrity is left as written: the bytes it was computed
   * over do not change.
   */
  addLeaf(path: string, sha256: string, bytes?: Uint8Array): void {
    this.sha256.set(Buffer.from(sha256, 'hex'), this.at(path) * 32);
    if (bytes !== undefined) this.digests.set(path, allDigests(bytes));
  }

  /** The warnings of pass 1, by path (in the order each file's were found), and forgets them. */
  takeWarnings(): HashWarning[] {
    const out: HashWarning[] = [];
    for (const path of [...this.#early.keys()].sort()) out.push(...(this.#early.get(path) ?? []));
    this.#early.clear();
    return out;
  }

  #warn(path: string, warning: HashWarning): void {
    const list = this.#early.get(path);
    if (list === undefined) this.#early.set(path, [warning]);
    else list.push(warning);
  }
}
