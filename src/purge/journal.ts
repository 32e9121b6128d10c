import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { JobError } from '../errors.ts';
import { hashFileLines } from '../manifest/hash-file-lines.ts';
import type { PackedManifest } from '../manifest/packed-manifest.ts';
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
  done(provider: string, kind: PurgeBatch['kind'], target: string, round?: number): boolean;
  /** `round`: 2 for a shielded provider's repurge (journaled apart from round 1). */
  record(
    provider: string,
    batch: PurgeBatch,
    receipts?: readonly string[],
    round?: number,
  ): Promise<void>;
  /**
   * Names the run: random when the journal starts, the same when a killed run resumes it
   * (PurgeAttempt.run). Undefined when nothing is journaled.
   */
  readonly run?: string;
  /** Receipts (CloudFront invalidation ids) an earlier run of this release journaled. */
  receipts?(provider: string): readonly string[];
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
export function releaseId(previous: PackedManifest, next: PackedManifest, context = ''): string {
  const hash = createHash('sha256');
  hash.update(`context\n${context}\n`);
  for (const [label, manifest] of [
    ['previous', previous],
    ['next', next],
  ] as const) {
    hash.update(`${label}\n`);
    // Sorted by comparePaths already: the same bytes as over the plain form's sorted keys.
    hashFileLines(hash, manifest.files);
  }
  return hash.digest('hex');
}

/**
 * Opens the journal at `path` for `release`: entries of the same release are kept (a resume),
 * anything else is discarded.
 */
export async function openJournal(path: string, release: string): Promise<Journal> {
  const done = new Set<string>();
  const receipts = new Map<string, string[]>();
  let same = false;
  let run = randomBytes(12).toString('hex');
  try {
    const lines = (await readFile(path, 'utf8')).split('\n');
    const head = safeParse(lines[0]);
    same = head?.journal === FORMAT && head.release === release;
    if (same) {
      if (typeof head?.run === 'string') run = head.run;
      for (const line of lines.slice(1)) {
        const entry = safeParse(line);
        if (typeof entry?.provider !== 'string' || !Array.isArray(entry.targets)) continue;
        const round = typeof entry.round === 'number' ? entry.round : 1;
        for (const target of entry.targets)
          done.add(key(entry.provider, entry.kind as string, String(target), round));
        if (Array.isArray(entry.receipts)) {
          const list = receipts.get(entry.provider) ?? [];
          list.push(...entry.receipts.map(String));
          receipts.set(entry.provider, list);
        }
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  let file: Awaited<ReturnType<typeof open>>;
  try {
    await mkdir(dirname(path), { recursive: true });
    file = await open(path, same ? 'a' : 'w');
    if (!same) await file.write(`${JSON.stringify({ journal: FORMAT, release, run })}\n`);
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
    done: (provider, kind, target, round) => done.has(key(provider, kind, target, round)),
    run,
    receipts: (provider) => receipts.get(provider) ?? [],
    async record(provider, batch, ids, round) {
      const line = {
        provider,
        kind: batch.kind,
        targets: batchTargets(batch),
        ...(round === undefined || round === 1 ? {} : { round }),
        ...(ids === undefined || ids.length === 0 ? {} : { receipts: ids }),
      };
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
 * an entry left empty is dropped. Returns how many targets were skipped. A shielded provider's
 * round 2 (`repurge`) is filtered by what round 2 applied, from the whole set: a run killed
 * between the rounds purges everything again in round 2.
 */
export function withoutApplied(
  plan: PurgePlan,
  journal: Journal,
): { plan: PurgePlan; skipped: number } {
  let skipped = 0;
  const left = (provider: string, entries: readonly PlanEntry[], round: number) =>
    entries.flatMap((entry): PlanEntry[] => {
      const targets = batchTargets(entry);
      const rest = targets.filter((target) => !journal.done(provider, entry.kind, target, round));
      if (round === 1) skipped += targets.length - rest.length;
      if (rest.length === targets.length) return [entry];
      if (rest.length === 0) return [];
      return [rebuild(entry, rest)];
    });
  const providers = plan.providers.map((providerPlan) => ({
    ...providerPlan,
    entries: left(providerPlan.provider, providerPlan.entries, 1),
    ...(providerPlan.repurge === undefined
      ? {}
      : {
          repurge: {
            ...providerPlan.repurge,
            entries: left(
              providerPlan.provider,
              providerPlan.repurge.entries ?? providerPlan.entries,
              2,
            ),
          },
        }),
  }));
  return { plan: { ...plan, providers }, skipped };
}

/** The entry for fewer targets, its reason and mode kept. */
function rebuild(entry: PlanEntry, targets: string[]): PlanEntry {
  if (entry.kind === 'everything') return entry;
  const { mode, modeReason } = entry;
  return {
    ...makeBatch(entry.kind, targets),
    reason: entry.reason,
    ...(mode === undefined ? {} : { mode }),
    ...(modeReason === undefined ? {} : { modeReason }),
  };
}

/** Round 1 keeps the key it always had, so a journal written before rounds still resumes. */
function key(provider: string, kind: string, target: string, round = 1): string {
  const base = `${provider}\0${kind}\0${target}`;
  return round === 1 ? base : `${base}\0${round}`;
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
