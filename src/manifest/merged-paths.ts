import { comparePaths } from './manifest.ts';
import { type PathTable, PathTableBuilder } from './path-table.ts';

/**
 * Anything with a length that yields paths in order: a `PathTable`, a merge of two (the
 * planner's `known`), or a plain array in tests.
 */
export interface PathList extends Iterable<string> {
  readonly length: number;
  /**
   * `folderCounts(this, changed)`, computed without a string per path where the list can (a
   * merge of two tables compares bytes and decodes one string per folder).
   */
  folderCounts?(changed: ReadonlySet<string>): ReadonlyMap<string, Readonly<FolderCount>>;
}

/** Files directly in one folder, and how many of those are in a changed set. */
export interface FolderCount {
  files: number;
  changed: number;
}

/**
 * Two sorted tables' paths merged, each once: what either release holds. Its length is
 * counted when first asked (one pass comparing bytes); the strings are made as it is iterated.
 */
export function mergedPaths(a: PathTable, b: PathTable): PathList {
  let length: number | undefined;
  let counted:
    | { changed: ReadonlySet<string>; counts: ReadonlyMap<string, Readonly<FolderCount>> }
    | undefined;
  return {
    // Counted when first asked (a pass comparing bytes): a plan that collapses nothing to the
    // whole site never asks.
    get length() {
      if (length === undefined) {
        let count = 0;
        mergeIndexes(a, b, () => {
          count++;
        });
        length = count;
      }
      return length;
    },
    // Every provider that purges prefixes asks with the same set: counted once.
    folderCounts: (changed) => {
      if (counted?.changed !== changed) {
        counted = { changed, counts: mergedFolderCounts(a, b, changed) };
      }
      return counted.counts;
    },
    *[Symbol.iterator]() {
      let i = 0;
      let j = 0;
      while (i < a.length || j < b.length) {
        const order = i === a.length ? 1 : j === b.length ? -1 : a.compare(i, b, j);
        if (order <= 0) yield a.at(i++);
        else yield b.at(j++);
        if (order === 0) j++;
      }
    },
  };
}

/**
 * `folderCounts` of the merge of `a` and `b` in bytes: a folder is told by comparing its bytes
 * with the current one's, a changed path by walking the changed set's paths, sorted and encoded
 * once, beside the merge. One string per folder, none per file.
 */
function mergedFolderCounts(
  a: PathTable,
  b: PathTable,
  changed: ReadonlySet<string>,
): Map<string, FolderCount> {
  const marks = new PathTableBuilder();
  for (const path of [...changed].sort(comparePaths)) marks.add(path);
  const marked = marks.finish();
  const own = new Map<string, FolderCount>();
  let folderTable: PathTable | undefined;
  let folderIndex = 0;
  let folderLength = -1;
  let counts: FolderCount = { files: 0, changed: 0 };
  let k = 0;
  mergeIndexes(a, b, (table, index) => {
    const length = table.folderLengthAt(index);
    if (
      folderTable === undefined ||
      length !== folderLength ||
      !table.samePrefix(index, folderTable, folderIndex, length)
    ) {
      folderTable = table;
      folderIndex = index;
      folderLength = length;
      const folder = table.prefixAt(index, length);
      counts = own.get(folder) ?? { files: 0, changed: 0 };
      own.set(folder, counts);
    }
    counts.files++;
    while (k < marked.length && marked.compare(k, table, index) < 0) k++;
    if (k < marked.length && marked.compare(k, table, index) === 0) counts.changed++;
  });
  return own;
}

/** Visits each path of the merge of `a` and `b` once, in order, as the table and index it is at. */
function mergeIndexes(
  a: PathTable,
  b: PathTable,
  visit: (table: PathTable, index: number) => void,
): void {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const order = i === a.length ? 1 : j === b.length ? -1 : a.compare(i, b, j);
    if (order <= 0) visit(a, i);
    else visit(b, j);
    if (order <= 0) i++;
    if (order >= 0) j++;
  }
}
