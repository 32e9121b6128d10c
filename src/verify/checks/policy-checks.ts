import { lintCachePolicy, type PolicyRule } from '../cache-policy.ts';
import type { Check } from '../report-types.ts';

/**
 * `cache-policy`: the Cache-Control the edge sent, linted against the config's `policy` (and
 * its defaults). One check per finding, with the finding's severity; one passing check when
 * there is none.
 */
export function policyChecks(
  url: string,
  path: string,
  cacheControl: string | undefined,
  rules: readonly PolicyRule[],
): Check[] {
  const findings = lintCachePolicy(path, cacheControl, rules);
  if (findings.length === 0) {
    return [
      {
        id: 'cache-policy',
        severity: 'warning',
        ok: true,
        url,
        expected: 'a Cache-Control the policy accepts',
        seen: cacheControl ?? '(none)',
      },
    ];
  }
  return findings.map((finding) => ({
    id: 'cache-policy',
    severity: finding.severity,
    ok: false,
    url,
    expected: finding.expected,
    seen: finding.seen,
    message: finding.message,
  }));
}
