/**
 * What the vantage check found, as data: per configured location, the probe that measured and
 * each URL's verdict. Reports (text, JSON, Markdown, HTML) render this and nothing else.
 */

/** Where a probe is, as Globalping describes it (`probe` of a result). */
export interface ProbePlace {
  readonly continent: string;
  readonly country: string;
  readonly city: string;
  readonly network: string;
  readonly asn?: number;
}

/**
 * How a URL was judged at a location: `body` (the probe returned the whole body and its SHA-256
 * is the manifest's), `validators` (the body was cut or not text: status, ETag, Last-Modified and
 * length), `status` (a removed file, or nothing else to compare).
 */
export type VantageMethod = 'body' | 'validators' | 'status';

export interface VantageUrlResult {
  readonly url: string;
  /** Seen serving the release (or, for a removed file, gone). */
  readonly fresh: boolean;
  /** The measurement did not give an answer (probe failed, offline, timed out). */
  readonly failed?: boolean;
  readonly method: VantageMethod;
  readonly status?: number;
  readonly etag?: string;
  /** Why it is stale or failed, in one sentence. */
  readonly reason?: string;
  /** Measurements of this URL from this location (a stale answer is measured again). */
  readonly attempts?: number;
  /** Total request time the probe measured, in ms. */
  readonly timeMs?: number;
  readonly measurement?: string;
}

export interface VantageLocationReport {
  /** As configured (`verify.vantage.locations`). */
  readonly location: string;
  /** The probe that measured, when one was found. */
  readonly probe?: ProbePlace;
  readonly ok: boolean;
  readonly fresh: number;
  readonly stale: number;
  readonly failed: number;
  readonly urls: readonly VantageUrlResult[];
  /** Why the location gave no answer at all (no probe found, the API refused). */
  readonly error?: string;
}

export interface VantageReport {
  readonly provider: 'globalping';
  readonly ok: boolean;
  /** URLs measured: every changed HTML URL plus the sample. */
  readonly urls: readonly string[];
  readonly changedHtml: number;
  readonly sampled: number;
  /** Probe tests spent (URLs × locations, and stale ones again): what Globalping's hourly limit counts. */
  readonly tests: number;
  readonly locations: readonly VantageLocationReport[];
  readonly durationMs: number;
  /** A failure of the check itself (rate limit, authentication), not of a location. */
  readonly error?: { readonly code: string; readonly message: string; readonly hint?: string };
}

/** A location's counts and verdict from its URL results. */
export function locationReport(
  location: string,
  urls: readonly VantageUrlResult[],
  probe?: ProbePlace,
  error?: string,
): VantageLocationReport {
  const fresh = urls.filter((url) => url.fresh).length;
  const failed = urls.filter((url) => !url.fresh && url.failed === true).length;
  return {
    location,
    ...(probe === undefined ? {} : { probe }),
    ok: error === undefined && fresh === urls.length,
    fresh,
    stale: urls.length - fresh - failed,
    failed,
    urls,
    ...(error === undefined ? {} : { error }),
  };
}

/** `Tokyo, JP (AS2497)`: a probe in a few words. */
export function describeProbe(probe: ProbePlace | undefined): string {
  if (probe === undefined) return 'no probe';
  const asn = probe.asn === undefined ? '' : ` (AS${probe.asn})`;
  return `${probe.city}, ${probe.country}${asn}`;
}

/**
 * The one-line error of a failed vantage check: which locations are stale, naming each, or what
 * stopped the check.
 */
export function vantageFailure(report: VantageReport): {
  code: string;
  message: string;
  hint: string;
} {
  if (report.error !== undefined) {
    return {
      code: report.error.code,
      message: `vantage check failed: ${report.error.message}`,
      hint: `${report.error.hint ?? 'fix the cause and run again'}; the baseline was not saved`,
    };
  }
  const bad = report.locations.filter((location) => !location.ok);
  const parts = bad.map((location) =>
    location.error !== undefined
      ? `${location.location}: ${location.error}`
      : `${location.location} (${describeProbe(location.probe)}): ${location.stale} of ${location.urls.length} URLs stale${location.failed > 0 ? `, ${location.failed} not measured` : ''}`,
  );
  return {
    code: 'E_STALE_LOCATION',
    message: `stale from ${bad.length === 1 ? 'a location' : `${bad.length} locations`}: ${parts.join('; ')}`,
    hint: 'the edge near the runner serves the release but these locations do not: a POP or shield the purge did not reach (check every provider and tier is purged); the baseline was not saved',
  };
}
