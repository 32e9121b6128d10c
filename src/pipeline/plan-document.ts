import { constants } from 'node:fs';
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { ResolvedConfig } from '../config/load-config.ts';
import { InputError, JobError } from '../errors.ts';
import {
  baselineDigest,
  type PlanDigests,
  providersDigest,
  releaseDigest,
  requestsDigest,
} from '../plan/plan-digests.ts';
import { PLAN_VERSION, type PurgePlan } from '../plan/plan-purges.ts';
import type { Release } from './deploy.ts';

/**
 * The plan as a document: what `plan --json` prints and `plan --out` writes, and what
 * `deploy --plan` applies exactly. The purge plan (per provider, the requests with their
 * reasons) with the diff, the files the fix touches, the origin decision, the baseline, and the
 * digests of what it was made from (plan-digests.ts).
 */
export type PlanDocument = PurgePlan & {
  readonly diff: Release['diff'];
  readonly touch: readonly string[];
  readonly origin: Release['origin'];
  readonly baseline: { readonly path: string; readonly found: boolean };
  readonly digests: PlanDigests;
  /** `fix: "hash"`: the renames and rewrites the fix makes, and the old hashed files it keeps or removes. */
  readonly hash?: HashSummary;
  /**
   * `plan --manifest`: the release was this manifest file, not a scan of `dir`. For people and
   * reports only (still version 3: `deploy --plan` re-scans the tree either way and compares it
   * with the release digest, and a reader that does not know the key ignores it).
   */
  readonly manifest?: PlanManifestSource;
};

/** The release manifest a plan was made from instead of a scan (`plan --manifest`). */
export interface PlanManifestSource {
  /** The file, as given (absent for a manifest a library caller built in memory). */
  readonly path?: string;
  /** The manifest's `createdAt`: when `edgepurge manifest` scanned the tree. */
  readonly createdAt: string;
  readonly files: number;
}

/** What a hash fix will do, for people and reports (the release digest covers its bytes). */
export interface HashSummary {
  readonly renames: readonly { readonly from: string; readonly to: string }[];
  readonly rewrites: readonly { readonly path: string; readonly references: number }[];
  readonly cycles: readonly (readonly string[])[];
  readonly restore: readonly string[];
  readonly expire: readonly string[];
  readonly warnings: readonly {
    readonly code: string;
    readonly path: string;
    readonly message: string;
  }[];
}

/** The summary of a release's hash fix, or undefined without one. Pure. */
export function hashSummaryOf(release: Release): HashSummary | undefined {
  const fix = release.hash;
  if (fix === undefined) return undefined;
  return {
    renames: fix.plan.renames,
    rewrites: fix.plan.rewrites.map(({ path, references }) => ({ path, references })),
    cycles: fix.plan.cycles,
    restore: fix.restore,
    expire: fix.expire,
    warnings: fix.plan.warnings.map(({ code, path, message }) => ({ code, path, message })),
  };
}

/** A plan document for a prepared release. Pure. */
export function planDocument(
  release: Release,
  config: Pick<ResolvedConfig, 'providers'>,
  location: string,
): PlanDocument {
  return {
    ...release.plan,
    diff: release.diff,
    touch: release.toTouch,
    origin: release.origin,
    baseline: { path: location, found: release.hadBaseline },
    digests: {
      release: releaseDigest(release.next, release.toTouch),
      baseline: baselineDigest(release.hadBaseline ? release.previous : undefined),
      providers: providersDigest(config.providers),
      requests: requestsDigest(release.plan.providers),
    },
    ...(release.hash === undefined ? {} : { hash: hashSummaryOf(release) }),
  };
}

/** The purge plan a document holds: what the executor runs. */
export function purgePlanOf(document: PlanDocument): PurgePlan {
  return {
    version: document.version,
    baseUrl: document.baseUrl,
    providers: document.providers,
    urls: document.urls,
  };
}

/** Writes a plan document atomically (a temporary file, then rename). */
export async function writePlanDocument(path: string, document: PlanDocument): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, `${JSON.stringify(document, null, 2)}\n`);
    await rename(temporary, path);
  } catch (error) {
    throw new JobError(
      'E_PLAN_WRITE',
      `cannot write the plan to ${path}: ${(error as Error).message}`,
      {
        at: path,
        cause: error,
      },
    );
  }
}

/** A plan is a few hundred bytes a request; past this it is not one edgepurge wrote. */
const MAX_PLAN_BYTES = 256 * 1024 * 1024;

const HINT = 'write one with `edgepurge plan --out FILE`, then `edgepurge deploy --plan FILE`';

/**
 * Reads a plan document written by `plan --out`. Only a regular file, under a size cap; another
 * version, a malformed document or one whose requests were edited is an InputError naming `at`
 * (the flag or input the path came from).
 */
export async function readPlanDocument(path: string, at: string): Promise<PlanDocument> {
  const refuse = (why: string, hint = HINT): never => {
    throw new InputError('E_PLAN', `cannot apply the plan ${path}: ${why}`, { at, hint });
  };
  let text = '';
  try {
    const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const info = await handle.stat();
      if (!info.isFile()) refuse('not a regular file');
      if (info.size > MAX_PLAN_BYTES)
        refuse(`${info.size} bytes, over the ${MAX_PLAN_BYTES} a plan may hold`);
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    refuse((error as Error).message);
  }
  return parsePlanDocument(text, path, at);
}

/** Parses and checks plan document text. Pure; throws InputError naming `at`. */
export function parsePlanDocument(text: string, path: string, at: string): PlanDocument {
  const refuse = (why: string, hint = HINT): never => {
    throw new InputError('E_PLAN', `cannot apply the plan ${path}: ${why}`, { at, hint });
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    refuse(`not valid JSON: ${(error as Error).message}`);
  }
  const version = (raw as { version?: unknown } | null)?.version;
  if (version !== PLAN_VERSION) {
    refuse(
      `it is a plan of version ${JSON.stringify(version) ?? 'none'}; this edgepurge applies version ${PLAN_VERSION}`,
      'run `edgepurge plan --out FILE` again with this edgepurge, review it, and deploy that',
    );
  }
  const parsed = DOCUMENT.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    refuse(`${issue?.path.join('.') || 'the document'}: ${issue?.message ?? 'malformed'}`);
  }
  const document = raw as PlanDocument;
  if (requestsDigest(document.providers) !== document.digests.requests) {
    refuse(
      'its requests were changed after `plan` wrote it',
      'apply plans as `edgepurge plan --out` writes them: run plan again instead of editing one',
    );
  }
  return document;
}

const strings = z.array(z.string());
const REASON = z.enum(['hazard', 'changed', 'added', 'removed', 'collapsed', 'forced']);
// Version 3: hard or soft, and why (src/plan/purge-mode.ts).
const MODE = { mode: z.enum(['hard', 'soft']), modeReason: z.string() };
const ENTRY = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('urls'), urls: strings, reason: REASON, ...MODE }),
  z.object({ kind: z.literal('prefixes'), prefixes: strings, reason: REASON, ...MODE }),
  z.object({ kind: z.literal('tags'), tags: strings, reason: REASON, ...MODE }),
  z.object({ kind: z.literal('hosts'), hosts: strings, reason: REASON, ...MODE }),
  z.object({ kind: z.literal('everything'), hosts: strings, reason: REASON, ...MODE }),
]);
const DIGEST = z.string().regex(/^([0-9a-f]{64}|none)$/);
/** The parts `deploy --plan` uses; the rest (diff counts) is for people and reports. */
const DOCUMENT = z.object({
  version: z.literal(PLAN_VERSION),
  baseUrl: z.string(),
  urls: z.number(),
  providers: z.array(
    z.object({
      provider: z.string(),
      type: z.string(),
      entries: z.array(ENTRY),
      requests: z.number(),
      lowerBound: z.number(),
      collateral: z.number(),
      minSeconds: z.number(),
      // A shielded provider's second round; a document never holds round 2's own entries.
      repurge: z.strictObject({ afterSeconds: z.number().positive() }).optional(),
    }),
  ),
  diff: z.object({
    added: strings,
    changed: strings,
    removed: strings,
    unchanged: z.number(),
    hazards: z.array(z.object({ path: z.string(), kind: z.string() })),
  }),
  touch: strings,
  origin: z.object({ setting: z.string(), style: z.string(), evidence: strings }),
  baseline: z.object({ path: z.string(), found: z.boolean() }),
  digests: z.object({ release: DIGEST, baseline: DIGEST, providers: DIGEST, requests: DIGEST }),
  manifest: z
    .object({ path: z.string().optional(), createdAt: z.string(), files: z.number() })
    .optional(),
});
