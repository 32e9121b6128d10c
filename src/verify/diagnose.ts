import type { Diagnosis } from './report-types.ts';

/** What the edge served: the new bytes, old ones, or nothing (the request failed). */
export type EdgeState = 'fresh' | 'stale' | 'unreachable';

/** What the origin served, when `verify.origin` is set. */
export type OriginState = 'fresh' | 'stale' | 'unreachable' | 'unchecked';

/**
 * Which layer is stale (the runbook's steps 2–3: compare the origin with the edge). Pure.
 *
 * | origin      | edge        | diagnosis                                              |
 * | ----------- | ----------- | ------------------------------------------------------ |
 * | stale       | any         | origin-stale: the upload did not reach the origin      |
 * | fresh       | stale       | edge-stale: the purge did not take at the edge         |
 * | fresh       | fresh       | fresh (validator or policy failures are not a layer)   |
 * | fresh       | unreachable | unknown                                                |
 * | unreachable | any         | unknown                                                |
 * | unchecked   | any         | fresh when the URL is fresh, else unknown              |
 */
export function diagnose(origin: OriginState, edge: EdgeState, urlFresh: boolean): Diagnosis {
  switch (origin) {
    case 'stale':
      return 'origin-stale';
    case 'fresh':
      return edge === 'stale' ? 'edge-stale' : edge === 'fresh' ? 'fresh' : 'unknown';
    case 'unreachable':
      return 'unknown';
    case 'unchecked':
      return urlFresh ? 'fresh' : 'unknown';
  }
}
