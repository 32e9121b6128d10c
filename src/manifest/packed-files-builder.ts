import { grown } from './grown.ts';
import type { PackedFiles } from './packed-manifest.ts';
import { PathTableBuilder } from './path-table.ts';
import { decodeHex } from './read-file-entry.ts';

const INITIAL_CAPACITY = 1024;

/** What `finish` hands back: the columns, and the first path given twice (if any). */
export interface BuiltFiles {
  readonly files: PackedFiles;
  readonly duplicate?: string;
}

/**
 * Collects file entries into `PackedFiles` columns that grow by doubling. Entries may come in
 * any order; in `comparePaths` order (a manifest this build wrote) nothing is sorted again.
 */
export class PackedFilesBuilder {
  #count = 0;
  #capacity: number;
  #paths: PathTableBuilder;
  #sha256: Uint8Array;
  #sizes: Float64Array;
  #mtimes: Float64Array;
  #typeIds: Uint16Array | Uint32Array;
  #types: string[] = [];
  #typeIndex = new Map<string, number>();
  #sorted = true;
  #duplicate: string | undefined;

  /**
   * `expected`: about how many entries will come, when a caller can tell (a manifest file's
   * length). The columns start that large, so they never grow by copying: a copy holds the old
   * and the new column at once, and freed blocks stay in the allocator. Room never written
   * takes no resident memory, so a high guess costs address space only.
   */
  constructor(expected: { readonly entries?: number; readonly pathBytes?: number } = {}) {
    const capacity = Math.max(INITIAL_CAPACITY, Math.ceil(expected.entries ?? 0));
    this.#capacity = capacity;
    this.#paths = new PathTableBuilder(expected.pathBytes, capacity);
    this.#sha256 = new Uint8Array(capacity * 32);
    this.#sizes = new Float64Array(capacity);
    this.#mtimes = new Float64Array(capacity);
    this.#typeIds = new Uint16Array(capacity);
  }

  get count(): number {
    return this.#count;
  }

  /** Appends an entry (its hash is set next, with `setSha` or `setShaHex`) and returns its index. */
  add(path: string, size: number, mtimeMs: number, type: string): number {
    return this.addWithTypeId(path, size, mtimeMs, this.typeIdOf(type));
  }

  /** The id of content type `type`, added to the table if new. */
  typeIdOf(type: string): number {
    let typeId = this.#typeIndex.get(type);
    if (typeId === undefined) {
      typeId = this.#types.length;
      this.#types.push(type);
      this.#typeIndex.set(type, typeId);
      // A hand-made manifest may hold more distinct types than 16 bits count.
      if (typeId === 0x10000) this.#typeIds = Uint32Array.from(this.#typeIds);
    }
    return typeId;
  }

  /** `add`, with the type's id from `typeIdOf`. */
  addWithTypeId(path: string, size: number, mtimeMs: number, typeId: number): number {
    this.#paths.add(path);
    return this.#added(size, mtimeMs, typeId);
  }

  /**
   * `addWithTypeId` for a path given as its valid UTF-8 bytes `bytes[start, end)` (a manifest's
   * key as read): no string is made for it.
   */
  addUtf8WithTypeId(
    bytes: Uint8Array,
    start: number,
    end: number,
    size: number,
    mtimeMs: number,
    typeId: number,
  ): number {
    this.#paths.addUtf8(bytes, start, end);
    return this.#added(size, mtimeMs, typeId);
  }

  /** The columns of the entry whose path was just added to the table. */
  #added(size: number, mtimeMs: number, typeId: number): number {
    const index = this.#count;
    if (index === this.#capacity) this.#grow();
    if (index > 0) {
      const order = this.#paths.compareLastTwo();
      if (order === 0) this.#duplicate ??= this.#paths.at(index);
      else if (order > 0) this.#sorted = false;
    }
    this.#sizes[index] = size;
    this.#mtimes[index] = mtimeMs;
    this.#typeIds[index] = typeId;
    this.#count = index + 1;
    return index;
  }

  /** Sets entry `index`'s hash from 64 lower-case hex digits; false when they are not. */
  setShaHex(index: number, hex: string): boolean {
    return decodeHex(hex, this.#sha256.subarray(index * 32, index * 32 + 32));
  }

  /** Sets entry `index`'s hash from its 32 bytes, at `from` in `sha256`. */
  setSha(index: number, sha256: Uint8Array, from = 0): void {
    const target = this.#sha256;
    const offset = index * 32;
    for (let k = 0; k < 32; k++) target[offset + k] = sha256[from + k] as number;
  }

  /**
   * The columns, trimmed to the entries added and sorted by path, and the first path added
   * twice (then the columns keep both copies; the caller refuses the manifest).
   */
  finish(): BuiltFiles {
    const count = this.#count;
    let files: PackedFiles = {
      count,
      paths: this.#paths.finish(),
      // Views, not copies: a copy would double the peak, and glibc keeps freed blocks of this
      // size mapped; the capacity left over is under half of 50 bytes per file.
      sha256: this.#sha256.subarray(0, count * 32),
      sizes: this.#sizes.subarray(0, count),
      mtimes: this.#mtimes.subarray(0, count),
      typeIds: this.#typeIds.subarray(0, count),
      types: this.#types,
    };
    let duplicate = this.#duplicate;
    if (!this.#sorted) {
      files = sortFiles(files);
      for (let i = 1; i < count && duplicate === undefined; i++) {
        if (files.paths.compare(i, files.paths, i - 1) === 0) duplicate = files.paths.at(i);
      }
    }
    return duplicate === undefined ? { files } : { files, duplicate };
  }

  #grow(): void {
    const capacity = this.#capacity * 2;
    this.#sha256 = grown(this.#sha256, new Uint8Array(capacity * 32));
    this.#sizes = grown(this.#sizes, new Float64Array(capacity));
    this.#mtimes = grown(this.#mtimes, new Float64Array(capacity));
    this.#typeIds = grown(
      this.#typeIds,
      this.#typeIds instanceof Uint16Array ? new Uint16Array(capacity) : new Uint32Array(capacity),
    );
    this.#capacity = capacity;
  }
}

/** The columns reordered by path (a manifest not written in order: by hand, by another tool). */
function sortFiles(files: PackedFiles): PackedFiles {
  const { count, paths } = files;
  const order = Uint32Array.from({ length: count }, (_, i) => i).sort((a, b) =>
    paths.compare(a, paths, b),
  );
  const sha256 = new Uint8Array(count * 32);
  const sizes = new Float64Array(count);
  const mtimes = new Float64Array(count);
  const typeIds =
    files.typeIds instanceof Uint16Array ? new Uint16Array(count) : new Uint32Array(count);
  order.forEach((from, to) => {
    sha256.set(files.sha256.subarray(from * 32, from * 32 + 32), to * 32);
    sizes[to] = files.sizes[from] as number;
    mtimes[to] = files.mtimes[from] as number;
    typeIds[to] = files.typeIds[from] as number;
  });
  return {
    count,
    paths: paths.reordered(order),
    sha256,
    sizes,
    mtimes,
    typeIds,
    types: files.types,
  };
}
