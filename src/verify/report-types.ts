import type { RecordedValidators } from '../manifest/manifest.ts';
import type { MergedInfo, ShardInfo } from './shard.ts';
import type { VantageReport } from './vantage/vantage-report.ts';

/**
 * What verification found, as data: every check with a stable id, a severity, the URL, what was
 * expected and what was seen. Reports (text, JSON, Markdown, HTML) render this and nothing else.
 */

/**
 * - `body`: the edge serves the manifest's bytes (identity encoding).
 * - `variant`: a compressed variant (gzip, br) the edge also serves decodes to those bytes.
 * - `etag-changed`: the ETag differs from the snapshot's when the content changed (W/ ignored).
 * - `conditional-etag` / `conditional-date`: If-None-Match with the old ETag / If-Modified-Since
 *   with the old Last-Modified get 200 and the new body, not 304.
 * - `origin`: the origin, reached directly with the public Host, serves the manifest's bytes.
 * - `cache-policy`: Cache-Control matches the policy (HTML revalidates; hashed assets immutable).
 * - `removed`: a removed file answers 404 or 410.
 * - `redirect`: a redirect was followed; the final URL was checked.
 */
export type CheckId =
  | 'body'
  | 'variant'
  | 'etag-changed'
  | 'conditional-etag'
  | 'conditional-date'
  | 'origin'
  | 'cache-policy'
  | 'removed'
  | 'redirect';

/** `error` makes the URL stale (and the run fail); `warning` is reported, not failed. */
export type Severity = 'error' | 'warning';

export interface Check {
  readonly id: CheckId;
  readonly severity: Severity;
  readonly ok: boolean;
  readonly url: string;
  readonly expected: string;
  readonly seen: string;
  /** One sentence for a person: what it means and what to do. */
  readonly message?: string;
  /** The request header a conditional check sent (`If-None-Match: "5f1e-1a"`), and whose it was. */
  readonly sent?: string;
}

/**
 * Which layer is stale: the origin never got the upload, or the edge kept the old object, or
 * nothing is (fresh). `unknown` when the origin was not checked.
 */
export type Diagnosis = 'fresh' | 'origin-stale' | 'edge-stale' | 'unknown';

export interface UrlReport {
  readonly url: string;
  /** The file, relative to the publish directory. */
  readonly path: string;
  readonly kind: 'serves' | 'removed';
  readonly fresh: boolean;
  readonly checks: readonly Check[];
  readonly diagnosis: Diagnosis;
  /** The first failed error check's message, for one-line summaries. */
  readonly reason?: string;
  /** Milliseconds from the start of verification until the URL was first seen fresh. */
  readonly timeToFreshMs?: number;
  readonly attempts: number;
  /** Cache status headers as the edge sent them (cf-cache-status, x-cache, age, via). */
  readonly cache: Readonly<Record<string, string>>;
  /** Where a redirect chain ended, when there was one. */
  readonly finalUrl?: string;
  /**
   * The validators the edge served at the last look (identity GET): what the baseline records
   * for the URL once the release is verified (manifest version 2 `validators`).
   */
  readonly validators?: RecordedValidators;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly checked: number;
  readonly stale: readonly {
    readonly url: string;
    readonly reason: string;
    readonly diagnosis: Diagnosis;
  }[];
  /** Failed warning checks (cache-policy above all), across URLs. */
  readonly warnings: readonly Check[];
  readonly urls: readonly UrlReport[];
  /** Things a reader should know that are not failures ("no validators recorded yet: …"). */
  readonly notes?: readonly string[];
  readonly startedAt: string;
  readonly durationMs: number;
  /** `verify.vantage`: the same URLs as fetched from probes elsewhere (a sample of them). */
  readonly vantage?: VantageReport;
  /** `verify --shard I/N`: which part of the URLs this report proves, and of what release. */
  readonly shard?: ShardInfo;
  /** `report merge`: the shard reports this one was combined from. */
  readonly merged?: MergedInfo;
}
