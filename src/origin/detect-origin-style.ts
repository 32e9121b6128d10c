import { type IdentifyOptions, identifyStyle, type StyleIdentification } from './identify-style.ts';
import type { FileStat, OriginStyle } from './origin-style.ts';

/** The part of `fetch` detection uses, so tests and the CLI inject their own client. */
export type FetchLike = (
  url: string,
  init: { method: 'HEAD' | 'GET'; headers?: Record<string, string>; signal?: AbortSignal },
) => Promise<{ status: number; headers: { get(name: string): string | null } }>;

/** A URL of the release and the local file it serves. */
export interface StyleSample {
  readonly url: string;
  readonly file: FileStat;
}

/** The style `auto` settled on, each sample's evidence, and what the user should know. */
export interface OriginStyleDetection {
  /** The style most samples pointed at; `undefined` when no sample could be asked. */
  readonly style: OriginStyle | undefined;
  readonly samples: readonly (StyleIdentification & { readonly url: string })[];
  readonly warnings: readonly string[];
}

/**
 * `origin.validators: auto`: asks the origin (or the edge) for a few files of the release with
 * HEAD and identifies the style from each ETag (see identifyStyle). An exact match outvotes a
 * match by form; samples that disagree are reported. A request that fails or answers other than
 * 200 is skipped with a warning. The only I/O is `client`.
 */
export async function detectOriginStyle(
  client: FetchLike,
  samples: readonly StyleSample[],
  options: IdentifyOptions & { readonly signal?: AbortSignal } = {},
): Promise<OriginStyleDetection> {
  const results: (StyleIdentification & { url: string })[] = [];
  const warnings: string[] = [];
  for (const sample of samples) {
    let response: Awaited<ReturnType<FetchLike>>;
    try {
      response = await client(sample.url, {
        method: 'HEAD',
        // Uncompressed: the ETag of the file itself, not of a gzip variant.
        headers: { 'accept-encoding': 'identity' },
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      warnings.push(`origin style: ${sample.url} could not be asked: ${(error as Error).message}`);
      continue;
    }
    if (response.status !== 200) {
      warnings.push(`origin style: ${sample.url} answered ${response.status}, not 200: skipped`);
      continue;
    }
    const found = identifyStyle(response.headers.get('etag') ?? undefined, sample.file, options);
    results.push({ ...found, url: sample.url });
    if (found.warning !== undefined) warnings.push(`origin style: ${sample.url}: ${found.warning}`);
  }
  const style = vote(results);
  const others = [...new Set(results.map((r) => r.style))].filter((s) => s !== style);
  if (style !== undefined && others.length > 0) {
    warnings.push(
      `origin style: the samples disagree (${[style, ...others].join(', ')}); using ${style}, the style most of them matched`,
    );
  }
  return { style, samples: results, warnings };
}

/** Exact matches count double; ties go to the first sample's style. */
function vote(results: readonly StyleIdentification[]): OriginStyle | undefined {
  const scores = new Map<OriginStyle, number>();
  for (const result of results) {
    const weight = result.match === 'exact' ? 2 : 1;
    scores.set(result.style, (scores.get(result.style) ?? 0) + weight);
  }
  let best: OriginStyle | undefined;
  for (const [style, score] of scores) {
    if (best === undefined || score > (scores.get(best) ?? 0)) best = style;
  }
  return best;
}
