import { describeChain, type Followed, MAX_REDIRECTS } from '../follow-redirects.ts';
import type { Check } from '../report-types.ts';
import { failed, passed } from './check.ts';

/**
 * `redirect`: the chain that was followed (passing, the chain as seen), or why it could not be
 * (failing: a loop, too many hops). `undefined` when the URL did not redirect.
 */
export function redirectCheck(url: string, edge: Followed): Check | undefined {
  if (edge.hops.length === 0) return undefined;
  const expected = `at most ${MAX_REDIRECTS} redirects to a final answer`;
  if (edge.broken !== undefined)
    return failed(
      'redirect',
      url,
      expected,
      describeChain(edge.hops),
      `redirects not followed to the end: ${edge.broken}`,
    );
  return passed('redirect', url, expected, describeChain(edge.hops, edge.response.status));
}
