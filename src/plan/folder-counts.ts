import type { FolderCount, PathList } from '../manifest/merged-paths.ts';

export type { FolderCount } from '../manifest/merged-paths.ts';

/**
 * Per folder (`''`, `a/`, `a/b/`: a path up to its last `/`), its files among `paths` and how
 * many of them `changed` holds. Runs of one folder are counted together (a sorted list keeps a
 * folder's files together, except around its subfolders), so the map is touched per run. The
 * map may be the list's own, shared by every caller with the same set: read it, do not change it.
 */
export function folderCounts(
  paths: PathList,
  changed: ReadonlySet<string>,
): ReadonlyMap<string, Readonly<FolderCount>> {
  if (paths.folderCounts !== undefined) return paths.folderCounts(changed);
  const own = new Map<string, FolderCount>();
  let folder: string | undefined;
  let counts: FolderCount = { files: 0, changed: 0 };
  for (const path of paths) {
    if (folder === undefined || !path.startsWith(folder) || path.includes('/', folder.length)) {
      folder = path.slice(0, path.lastIndexOf('/') + 1);
      counts = own.get(folder) ?? { files: 0, changed: 0 };
      own.set(folder, counts);
    }
    counts.files++;
    if (changed.has(path)) counts.changed++;
  }
  return own;
}
