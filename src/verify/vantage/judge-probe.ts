import { createHash } from 'node:crypto';
import type { FileEntry, RecordedValidators } from '../../manifest/manifest.ts';
import type { ProbeResultItem } from './globalping-client.ts';
import type { VantageUrlResult } from './vantage-report.ts';

/** What a URL must look like from anywhere, from the manifest and the runner's own look. */
export interface VantageExpectation {
  readonly url: string;
  /** Where the runner's redirects ended, when they did elsewhere: what the probe requests. */
  readonly finalUrl?: string;
  readonly kind: 'serves' | 'removed';
  /** The release's file (serves): its SHA-256, size and type. */
  readonly entry?: Pick<FileEntry, 'sha256' | 'size' | 'type'>;
  /** The validators the edge near the runner served once verified fresh. */
  readonly local?: RecordedValidators;
}

// Bodies Globalping returns as text without loss: only their bytes can be hashed from `rawBody`
// (a JSON string; binary bytes do not survive it).
const TEXTUAL =
  /^(text\/|application\/(json|javascript|xml|manifest\+json|ld\+json)|image\/svg\+xml)/i;

/**
 * Judges one probe's answer for one URL. The body is compared by SHA-256 when the probe returned
 * all of it (`truncated: false`; Globalping keeps only the first 10 kB) and it is text; otherwise
 * by status, ETag and Last-Modified (against what the runner's edge served once fresh) and
 * length. A removed file must answer 404 or 410. Pure.
 */
export function judgeProbe(
  expected: VantageExpectation,
  item: ProbeResultItem | undefined,
  measurement?: string,
): VantageUrlResult {
  const base = { url: expected.url, ...(measurement === undefined ? {} : { measurement }) };
  if (item === undefined) {
    return { ...base, fresh: false, failed: true, method: 'status', reason: 'no probe answered' };
  }
  const result = item.result;
  const timeMs = result.timings?.total ?? undefined;
  const seen = {
    ...base,
    ...(result.statusCode === undefined ? {} : { status: result.statusCode }),
    ...(timeMs === undefined || timeMs === null ? {} : { timeMs }),
  };
  if (result.status !== 'finished' || result.statusCode === undefined) {
    const why = firstLine(result.rawOutput) || result.status;
    return {
      ...seen,
      fresh: false,
      failed: true,
      method: 'status',
      reason: `the probe got no answer: ${why}`,
    };
  }
  const status = result.statusCode;
  const headers = lowerHeaders(result.headers ?? {});
  const etag = headers.etag;
  const withEtag = { ...seen, ...(etag === undefined ? {} : { etag }) };

  if (expected.kind === 'removed') {
    const gone = status === 404 || status === 410;
    return {
      ...withEtag,
      fresh: gone,
      method: 'status',
      ...(gone ? {} : { reason: `answers ${status} for a removed file (expected 404 or 410)` }),
    };
  }
  if (status !== 200) {
    return { ...withEtag, fresh: false, method: 'status', reason: `answers ${status}, not 200` };
  }
  const entry = expected.entry;
  const local = expected.local ?? {};
  const stale = (method: VantageUrlResult['method'], reason: string): VantageUrlResult => ({
    ...withEtag,
    fresh: false,
    method,
    reason,
  });

  if (local.etag !== undefined && etag !== undefined && strong(etag) !== strong(local.etag)) {
    return stale('validators', `ETag ${etag}, where the runner's edge serves ${local.etag}`);
  }
  const body = result.rawBody;
  if (
    entry !== undefined &&
    typeof body === 'string' &&
    result.truncated === false &&
    TEXTUAL.test(entry.type)
  ) {
    const bytes = Buffer.from(body, 'utf8');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 === entry.sha256) return { ...withEtag, fresh: true, method: 'body' };
    return stale(
      'body',
      `body differs from the release (${bytes.length} bytes, sha256 ${sha256.slice(0, 12)}…; the release has ${entry.size} bytes, ${entry.sha256.slice(0, 12)}…)`,
    );
  }
  const lastModified = headers['last-modified'];
  if (
    local.lastModified !== undefined &&
    lastModified !== undefined &&
    lastModified !== local.lastModified
  ) {
    return stale(
      'validators',
      `Last-Modified ${lastModified}, where the runner's edge serves ${local.lastModified}`,
    );
  }
  // Content-Length is the file's size only when the body was not encoded on the way.
  const length = headers['content-length'];
  const encoded =
    headers['content-encoding'] !== undefined && headers['content-encoding'] !== 'identity';
  if (entry !== undefined && length !== undefined && !encoded && Number(length) !== entry.size) {
    return stale(
      'validators',
      `Content-Length ${length}, the release's file has ${entry.size} bytes`,
    );
  }
  const compared = etag !== undefined || lastModified !== undefined || length !== undefined;
  return { ...withEtag, fresh: true, method: compared ? 'validators' : 'status' };
}

function strong(etag: string): string {
  return etag.trim().replace(/^W\//i, '');
}

function lowerHeaders(
  headers: Readonly<Record<string, string | readonly string[]>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    out[name.toLowerCase()] = typeof value === 'string' ? value : value.join(', ');
  return out;
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0]?.trim().slice(0, 200) ?? '';
}
