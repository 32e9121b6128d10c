import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ResolvedConfig } from '../config/load-config.ts';
import {
  type HashHistory,
  type HashMap,
  type HashPlan,
  mergeHashMap,
  planSiteHash,
  renameMap,
} from '../fix/hash/index.ts';
import { readHashHistory } from '../fix/hash/read-hash-history.ts';
import type { Logger } from '../log.ts';
import { contentTypeFor } from '../manifest/content-type.ts';
import type { ManifestDiff } from '../manifest/diff-manifests.ts';
import { type FileEntry, isSafeRelativePath } from '../manifest/manifest.ts';
import { PackedFilesBuilder } from '../manifest/packed-files-builder.ts';
import {
  findPackedPath,
  type PackedManifest,
  packedFileEntry,
} from '../manifest/packed-manifest.ts';
import { stateBranchOf } from './baseline-store.ts';

/** Where a deploy keeps its hash map history and the copies of hashed files it may restore. */
export interface HashState {
  /** The history of the last releases' maps (rev-manifest shape), newest first. */
  readonly historyPath: string;
  /** Copies of the hashed files of kept releases, by site path: restored into a rebuilt tree. */
  readonly filesDir: string;
}

/** The fix `hash` of one deploy, decided before anything is written (what plan shows). */
export interface HashFix {
  readonly plan: HashPlan;
  readonly state: HashState;
  /** The history with this release's map first: saved with the baseline. */
  readonly history: HashHistory;
  /** Hashed files of kept releases that a rebuilt tree lacks: copied back from the state. */
  readonly restore: readonly string[];
  /** The mtime each restored file was served with (from the baseline), to restore it with. */
  readonly restoreMtimes: Readonly<Record<string, number>>;
  /** Hashed files of releases older than `hash.keep` still in the tree: removed (and purged). */
  readonly expire: readonly string[];
  /** Every hashed file of releases older than `hash.keep`: its copy in the state is dropped. */
  readonly expired: readonly string[];
  /** Kept hashed files named by an earlier release that can no longer be restored. */
  readonly lost: readonly string[];
}

/** Beside a file baseline; for a `github:` one, in the folder of the purge journal. */
export function hashStateOf(config: ResolvedConfig): HashState {
  const base =
    stateBranchOf(config.saveBaseline) === undefined
      ? config.saveBaseline
      : join(dirname(config.journalPath), 'baseline');
  return { historyPath: `${base}.hash-map.json`, filesDir: `${base}.hash-files` };
}

async function entryOf(
  path: string,
  site: string,
  mtimeMs: number | undefined,
): Promise<FileEntry | undefined> {
  try {
    const bytes = await readFile(path);
    return {
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      // Restored with the mtime it was served with, so its validators stay what caches hold.
      mtimeMs: mtimeMs ?? 0,
      type: contentTypeFor(site),
    };
  } catch {
    return undefined;
  }
}

/**
 * Plans `fix: "hash"` on the scanned tree and derives the post-fix manifest: renamed files under
 * their new names with the hashes of their rewritten bytes, kept hashed files of earlier releases
 * restored, expired ones gone. Reads the tree and the state; writes nothing.
 */
export async function planHashFix(
  config: ResolvedConfig,
  scanned: PackedManifest,
  previous: PackedManifest,
  log: Logger,
): Promise<{ fix: HashFix; next: PackedManifest }> {
  const { plan, paths } = await planSiteHash(
    config.dir,
    { basePath: config.urls.basePath, baseUrl: config.baseUrl },
    { length: config.hash.length, include: config.hash.include, exclude: config.hash.exclude },
  );
  for (const warning of plan.warnings) log.warn(`hash: ${warning.message}`);
  const state = hashStateOf(config);
  const past = await readHashHistory(state.historyPath, 'hash.keep');
  // A tree hashed already (deployed twice, not rebuilt) renames nothing: its names carry on.
  const carried: Record<string, string> = {};
  const files = new Set(paths);
  for (const [from, to] of Object.entries(past?.releases[0] ?? {}))
    if (!files.has(from) && files.has(to)) carried[from] = to;
  const map: HashMap = { ...carried, ...renameMap(plan) };
  const merged = mergeHashMap(past, map, config.hash.keep);

  // The post-fix release as changes to the scanned columns: the files the plan moves or
  // rewrites leave their scanned entry (`moved`) for one under their output name (`placed`).
  const before = scanned.files;
  const moved = new Set<string>();
  const placed = new Map<string, FileEntry>();
  for (const [from, output] of plan.outputs) {
    const index = findPackedPath(before, from);
    if (index < 0) continue;
    const entry = packedFileEntry(before, index);
    moved.add(from);
    placed.set(
      output.path,
      output.rewrite === undefined
        ? entry
        : { ...entry, size: output.rewrite.size, sha256: output.rewrite.sha256 },
    );
  }
  const inNext = (path: string) =>
    placed.has(path) || (!moved.has(path) && findPackedPath(before, path) >= 0);
  const restore: string[] = [];
  const restoreMtimes: Record<string, number> = {};
  const lost: string[] = [];
  for (const path of merged.retained) {
    if (inNext(path) || !isSafeRelativePath(path)) continue;
    const at = findPackedPath(previous.files, path);
    const mtimeMs = at < 0 ? undefined : previous.files.mtimes[at];
    const entry = await entryOf(join(state.filesDir, path), path, mtimeMs);
    if (entry === undefined) lost.push(path);
    else {
      placed.set(path, entry);
      restore.push(path);
      restoreMtimes[path] = entry.mtimeMs;
    }
  }
  for (const path of lost)
    log.warn(
      `hash: ${path} of an earlier release is neither in the tree nor kept in ${state.filesDir}`,
    );
  const expire = merged.expired.filter((path) => inNext(path) && isSafeRelativePath(path));
  const gone = new Set(expire);
  const builder = new PackedFilesBuilder();
  for (let i = 0; i < before.count; i++) {
    const path = before.paths.at(i);
    if (moved.has(path) || placed.has(path) || gone.has(path)) continue;
    const index = builder.add(
      path,
      before.sizes[i] as number,
      before.mtimes[i] as number,
      before.types[before.typeIds[i] as number] as string,
    );
    builder.setSha(index, before.sha256.subarray(i * 32, i * 32 + 32));
  }
  for (const [path, entry] of placed) {
    if (gone.has(path)) continue;
    builder.setShaHex(builder.add(path, entry.size, entry.mtimeMs, entry.type), entry.sha256);
  }
  return {
    fix: {
      plan,
      state,
      history: merged.history,
      restore,
      restoreMtimes,
      expire,
      expired: merged.expired,
      lost,
    },
    // Sorted by path again in finish(): the placed entries came after the scanned ones.
    next: { ...scanned, files: builder.finish().files },
  };
}

/**
 * The diff purges are planned from: new hashed URLs (renamed files, restored ones) are new URLs
 * with nothing cached, so they are verified but not purged. What remains: bytes changed under an
 * unchanged name (pages, kept names) and removed files.
 */
export function purgeDiffOf(diff: ManifestDiff, fix: HashFix): ManifestDiff {
  const fresh = new Set([...fix.plan.renames.map((rename) => rename.to), ...fix.restore]);
  return { ...diff, added: diff.added.filter((path) => !fresh.has(path)) };
}
