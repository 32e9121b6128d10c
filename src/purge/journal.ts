import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { JobError } from '../errors.ts';
import { comparePaths, type Manifest } from '../manifest/manifest.ts';
import type { PlanEntry, PurgePlan } from '../plan/plan-purges.ts';
import { batchTargets, makeBatch, type PurgeBatch } from '../providers/provider.ts';

/**
 * The record of purges applied for one release, so a run killed mid-purge resumes where it
 * stopped: JSON lines, the first naming the release, then one line per batch applied. A torn
 * last line (a kill during a write) is ignored, so that batch is sent again — never skipped.
 */
export interface Journal {
  readonly path: string | undefined;
  /** Targets applied earlier for this release, per provider. */
  done(provider: string, kind: PurgeBatch['kind'], target: string): boolean;
  record(provider: string, batch: PurgeBatch): Promise<void>;
  /** The plan is wholly applied: the journal is no longer needed. */
  remove(): Promise<void>;
  close(): Promise<void>;
}

const FORMAT = 1;

/**
 * Identifies a release transition: the same previous and next content, purged through the same
 * providers (`context`: their configuration — a node added since must get every URL), give the
 * same id.
 */
export function releaseId(previous: Manifest, next: Manifest, context = ''): string {
  const hash = createHash('sha256');
  hash.update(`context\n${context}\n`);
  for (const [label, manifest] of [
    ['previous', previous],
    ['next', next],
  ] as const) {
    hash.update(`${label}\n`);
    for (const path of Object.keys(manifest.files).sort(comparePaths)) {
      hash.update(`${path}\0${manifest.files[path]?.sha256}\n`);
    }
  }
  return hash.digest('hex');
}

/**
 * Opens the journal at `path` for `release`: entries of the same release are kept (a resume),
 * anything else is discarded.
 */
export async function openJournal(path: string, release: string): Promise<Journal> {
  const done = new Set<string>();
  let same = false;
  try {
    const lines = (await readFile(path, 'utf8')).split('\n');
    const head = safeParse(lines[0]);
    same = head?.journal === FORMAT && head.release === release;
    if (same) {
      for (const line of lines.slice(1)) {
        const entry = safeParse(line);
        if (typeof entry?.provider !== 'string' || !Array.isArray(entry.targets)) continue;
        for (const target of entry.targets)
          done.add(key(entry.provider, entry.kind as string, String(target)));
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  let file: Awaited<ReturnType<typeof open>>;
  try {
    await mkdir(dirname(path), { recursive: true });
    file = await open(path, same ? 'a' : 'w');
    if (!same) await file.write(`${JSON.stringify({ journal: FORMAT, release })}\n`);
  } catch (error) {
    throw new JobError(
      'E_WRITE',
      `cannot write the purge journal ${path}: ${(error as Error).message}`,
      {
        at: path,
        hint: 'nothing was purged; the journal lives beside saveBaseline, which must be writable',
        cause: error,
      },
    );
  }
  return {
    path,
    done: (provider, kind, target) => done.has(key(provider, kind, target)),
    async record(provider, batch) {
      const line = { provider, kind: batch.kind, targets: batchTargets(batch) };
      await file.write(`${JSON.stringify(line)}\n`);
    },
    async remove() {
      await file.close().catch(() => {});
      await rm(path, { force: true });
    },
    close: () => file.close().catch(() => {}),
  };
}

/** A journal that remembers nothing (dry runs, manual purges). */
export const noJournal: Journal = {
  path: undefined,
  done: () => false,
  record: async () => {},
  remove: async () => {},
  close: async () => {},
};

/**
 * The plan less what the journal says was applied. Pure apart from reading the journal's set;
 * an entry left empty is dropped. Returns how many targets were skipped.
 */
export function withoutApplied(
  plan: PurgePlan,
  journal: Journal,
): { plan: PurgePlan; skipped: number } {
  let skipped = 0;
  const providers = plan.providers.map((providerPlan) => ({
    ...providerPlan,
    entries: providerPlan.entries.flatMap((entry): PlanEntry[] => {
      const targets = batchTargets(entry);
      const left = targets.filter(
        (target) => !journal.done(providerPlan.provider, entry.kind, target),
      );
      skipped += targets.length - left.length;
      if (left.length === targets.length) return [entry];
      if (left.length === 0) return [];
      return [rebuild(entry, left)];
    }),
  }));
  return { plan: { ...plan, providers }, skipped };
}

function rebuild(entry: PlanEntry, targets: string[]): PlanEntry {
  return entry.kind === 'everything'
    ? entry
    : { ...makeBatch(entry.kind, targets), reason: entry.reason };
}

function key(provider: string, kind: string, target: string): string {
  return `${provider}\0${kind}\0${target}`;
}

function safeParse(line: string | undefined): Record<string, unknown> | undefined {
  if (line === undefined || line === '') return undefined;
  try {
    const value = JSON.parse(line);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
