import { createHash } from 'node:crypto';
import { InputError } from '../errors.ts';

/** `--shard I/N`: the I-th of N parts (1-based). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/**
 * What a shard report says about itself, so `report merge` can tell shards of one run from
 * reports of another: the part, the release and the config it verified, and how many URLs the
 * whole run has.
 */
export interface ShardInfo extends Shard {
  /** releaseId(previous, release): the same on every runner of one matrix. */
  readonly release: string;
  /** Digest of the settings that decide what is verified and how (configDigest). */
  readonly config: string;
  /** URLs of the whole run, before sharding. */
  readonly total: number;
}

/** A report `report merge` made: how many shards, of which release and config. */
export interface MergedInfo {
  readonly count: number;
  readonly release: string;
  readonly config: string;
}

// A matrix wider than this is a typo, not a plan (GitHub caps a matrix at 256 jobs).
const MAX_SHARDS = 256;

/**
 * Parses `--shard I/N` (1 ≤ I ≤ N). Anything else is an InputError naming the flag.
 */
export function parseShard(value: string, flag = '--shard'): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  const problem =
    match === null
      ? 'is not of the form I/N'
      : count < 1 || count > MAX_SHARDS
        ? `has N = ${count}; N must be 1 to ${MAX_SHARDS}`
        : index < 1 || index > count
          ? `has I = ${index}; I must be 1 to N (${count})`
          : undefined;
  if (problem !== undefined) {
    throw new InputError('E_USAGE', `${flag} "${value}" ${problem}`, {
      at: flag,
      hint: `give the part and the number of parts, counting from 1: ${flag} 1/4 … ${flag} 4/4 (a GitHub Actions matrix: ${flag} \${{ matrix.shard }}/4)`,
    });
  }
  return { index, count };
}

/**
 * The shard a URL belongs to (1-based): by a hash of the URL alone, never its position, so the
 * split does not move when targets are listed in another order or the list grows. Pure.
 */
export function shardOf(url: string, count: number): number {
  const digest = createHash('sha256').update(url, 'utf8').digest();
  return (digest.readUInt32BE(0) % count) + 1;
}

/** The items of one shard, in their original order; the N shards partition the list. Pure. */
export function selectShard<T extends { readonly url: string }>(
  items: readonly T[],
  shard: Shard,
): T[] {
  return items.filter((item) => shardOf(item.url, shard.count) === shard.index);
}

/**
 * A digest of what decides which URLs are verified and how they are judged: base URL, URL
 * mapping, policy, origin and vantage. Not connectTo, timeouts or concurrency: runners of one
 * matrix may reach the edge differently and still prove the same thing.
 */
export function configDigest(config: {
  readonly baseUrl: string;
  readonly urls: unknown;
  readonly policy: unknown;
  readonly verify: { readonly origin?: string; readonly vantage?: unknown };
}): string {
  const relevant = {
    baseUrl: config.baseUrl,
    urls: config.urls,
    policy: config.policy,
    origin: config.verify.origin ?? null,
    vantage: config.verify.vantage ?? null,
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}
