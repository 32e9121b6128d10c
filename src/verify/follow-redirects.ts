import type { HttpClient, ProbeRequest, ProbeResponse } from './http-client.ts';

/** The statuses a browser follows with a GET (RFC 9110 15.4). 300 and 304 are not redirects. */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** curl -L follows 50 and browsers about 20; a static site needs one or two, so more is a finding. */
export const MAX_REDIRECTS = 5;

/** One redirect that was followed: the URL asked, its status and where it pointed. */
export interface Hop {
  readonly url: string;
  readonly status: number;
  readonly location: string;
}

export interface Followed {
  /** The last answer: the final URL's, or the redirect that could not be followed. */
  readonly response: ProbeResponse;
  readonly finalUrl: string;
  readonly hops: readonly Hop[];
  /** Why the chain was not followed to its end (a loop, too many hops, a bad Location). */
  readonly broken?: string;
}

/**
 * GETs `url`, following 301/302/303/307/308 up to `maxHops` times. A relative Location is
 * resolved against the URL that sent it; every hop goes through the same client, so connect-to
 * rules apply to each host the chain visits (as `curl -L --connect-to`).
 */
export async function followRedirects(
  client: HttpClient,
  url: string,
  init: ProbeRequest,
  maxHops = MAX_REDIRECTS,
): Promise<Followed> {
  const hops: Hop[] = [];
  const visited = new Set([url]);
  let current = url;
  for (;;) {
    const response = await client.probe(current, init);
    const location = response.headers.location;
    if (!REDIRECTS.has(response.status) || location === undefined) {
      return { response, finalUrl: current, hops };
    }
    let next: string;
    try {
      next = new URL(location, current).href;
    } catch {
      return { response, finalUrl: current, hops, broken: `Location "${location}" is not a URL` };
    }
    hops.push({ url: current, status: response.status, location: next });
    if (visited.has(next)) {
      return { response, finalUrl: current, hops, broken: `redirect loop back to ${next}` };
    }
    if (hops.length > maxHops) {
      return { response, finalUrl: current, hops, broken: `more than ${maxHops} redirects` };
    }
    visited.add(next);
    current = next;
  }
}

/** `http://h/a → 301 http://h/a/ → 200`: the chain as a person reads it. */
export function describeChain(hops: readonly Hop[], finalStatus?: number): string {
  if (hops.length === 0) return '';
  const parts = [(hops[0] as Hop).url, ...hops.map((hop) => `${hop.status} ${hop.location}`)];
  if (finalStatus !== undefined) parts.push(String(finalStatus));
  return parts.join(' → ');
}
