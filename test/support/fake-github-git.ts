import { createHash } from 'node:crypto';

/** A git object as the fake keeps it. */
export type GitObject =
  | { readonly type: 'blob'; readonly content: Buffer }
  | { readonly type: 'tree'; readonly entries: readonly TreeEntry[] }
  | {
      readonly type: 'commit';
      readonly tree: string;
      readonly parents: readonly string[];
      readonly message: string;
    };

export interface TreeEntry {
  readonly name: string;
  readonly mode: string;
  readonly type: 'blob' | 'tree' | 'commit';
  readonly sha: string;
}

/** One entry of a create-tree request: a path (may have slashes) set to a sha or deleted. */
export interface TreeChange {
  readonly path: string;
  readonly mode: string;
  readonly type: 'blob' | 'tree' | 'commit';
  /** null deletes the path. */
  readonly sha: string | null;
}

/**
 * The object database of the fake repository: content-addressed blobs, trees and commits,
 * with GitHub's create-tree semantics (`base_tree` plus changes at nested paths).
 */
export class GitObjects {
  readonly objects = new Map<string, GitObject>();
  private commits = 0;

  /** Stores a blob under git's own id (sha1 of `blob <size>\0<bytes>`). */
  putBlob(content: Buffer): string {
    const sha = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
    this.objects.set(sha, { type: 'blob', content });
    return sha;
  }

  putTree(entries: readonly TreeEntry[]): string {
    const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const sha = createHash('sha1')
      .update(`tree ${JSON.stringify(sorted)}`)
      .digest('hex');
    this.objects.set(sha, { type: 'tree', entries: sorted });
    return sha;
  }

  putCommit(tree: string, parents: readonly string[], message: string): string {
    this.commits += 1;
    const sha = createHash('sha1')
      .update(`commit ${tree} ${parents.join(',')} ${message} ${this.commits}`)
      .digest('hex');
    this.objects.set(sha, { type: 'commit', tree, parents, message });
    return sha;
  }

  get<T extends GitObject['type']>(
    sha: string,
    type: T,
  ): Extract<GitObject, { type: T }> | undefined {
    const object = this.objects.get(sha);
    return object?.type === type ? (object as Extract<GitObject, { type: T }>) : undefined;
  }

  /** Applies changes on top of `baseTree` (or an empty tree) and returns the new root's sha. */
  applyTree(baseTree: string | undefined, changes: readonly TreeChange[]): string {
    const entries = new Map<string, TreeEntry>();
    for (const entry of baseTree === undefined ? [] : (this.get(baseTree, 'tree')?.entries ?? [])) {
      entries.set(entry.name, entry);
    }
    const nested = new Map<string, TreeChange[]>();
    for (const change of changes) {
      const slash = change.path.indexOf('/');
      if (slash === -1) {
        if (change.sha === null) entries.delete(change.path);
        else
          entries.set(change.path, {
            name: change.path,
            mode: change.mode,
            type: change.type,
            sha: change.sha,
          });
        continue;
      }
      const head = change.path.slice(0, slash);
      const list = nested.get(head) ?? [];
      list.push({ ...change, path: change.path.slice(slash + 1) });
      nested.set(head, list);
    }
    for (const [name, list] of nested) {
      const current = entries.get(name);
      const sub = this.applyTree(current?.type === 'tree' ? current.sha : undefined, list);
      entries.set(name, { name, mode: '040000', type: 'tree', sha: sub });
    }
    return this.putTree([...entries.values()]);
  }

  /** Every entry under a tree with its full path, as `?recursive=1` lists them. */
  walk(treeSha: string, prefix = ''): { path: string; entry: TreeEntry }[] {
    const out: { path: string; entry: TreeEntry }[] = [];
    for (const entry of this.get(treeSha, 'tree')?.entries ?? []) {
      const path = `${prefix}${entry.name}`;
      out.push({ path, entry });
      if (entry.type === 'tree') out.push(...this.walk(entry.sha, `${path}/`));
    }
    return out;
  }

  /** Whether `ancestor` is `commit` or one of its ancestors: a fast-forward from it. */
  isAncestor(ancestor: string, commit: string): boolean {
    const queue = [commit];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const sha = queue.pop() as string;
      if (sha === ancestor) return true;
      if (seen.has(sha)) continue;
      seen.add(sha);
      queue.push(...(this.get(sha, 'commit')?.parents ?? []));
    }
    return false;
  }

  /** The text of the blob at `path` of a commit's tree, or undefined. */
  fileAt(commitSha: string, path: string): string | undefined {
    return this.bytesAt(commitSha, path)?.toString('utf8');
  }

  /** The bytes of the blob at `path` of a commit's tree (a gzip file, say), or undefined. */
  bytesAt(commitSha: string, path: string): Buffer | undefined {
    const commit = this.get(commitSha, 'commit');
    if (commit === undefined) return undefined;
    const found = this.walk(commit.tree).find((item) => item.path === path);
    if (found === undefined || found.entry.type !== 'blob') return undefined;
    return this.get(found.entry.sha, 'blob')?.content;
  }
}
