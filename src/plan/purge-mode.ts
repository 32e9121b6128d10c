import type { PurgeBatch, PurgeMode, PurgeModeSetting } from '../providers/provider.ts';
import type { PlanReason } from './plan-purges.ts';

/**
 * Why an entry is purged hard or soft (STYLE.md: every decision says why).
 *
 * - `validator-changed` (soft): the release changes the file's validator (changed, added or
 *   removed, and not a hazard), so a revalidation of the stale copy fetches the new bytes.
 * - `validator-unchanged` (hard): a hazard — the origin model says the bytes changed and the
 *   validator did not, so a revalidation would answer 304 and keep the old bytes for good.
 * - `covers-hazard` (hard): a prefix, tag or site purge that reaches such a file.
 * - `observed-unchanged` (hard): the model predicted a new validator, but the origin, asked
 *   after the upload (`verify.origin`), still sends the one the edge holds (harden-observed.ts).
 * - `unknown-validator` (hard): a manual purge (`edgepurge purge`) in `auto`: nothing says
 *   whether the validators changed.
 * - `requested-soft` (soft): a manual purge with `purge.mode: "soft"` (or Fastly `--soft`).
 * - `no-soft` (hard): the provider cannot purge this kind softly (Cloudflare at all, Fastly's
 *   purge_all, a Varnish BAN, a Varnish whose VCL does not declare soft purges).
 * - `mode-hard` (hard): `purge.mode: "hard"`.
 */
export type ModeReason =
  | 'validator-changed'
  | 'validator-unchanged'
  | 'covers-hazard'
  | 'observed-unchanged'
  | 'unknown-validator'
  | 'requested-soft'
  | 'no-soft'
  | 'mode-hard';

export interface ModeDecision {
  readonly mode: PurgeMode;
  readonly modeReason: ModeReason;
}

export interface ModeInput {
  /** `purge.mode`, or the provider's own (capabilities.mode). */
  readonly setting: PurgeModeSetting;
  readonly kind: PurgeBatch['kind'];
  readonly reason: PlanReason;
  /** A collapsed entry (prefix, tag, host, everything) reaches a hazard's URL. */
  readonly coversHazard: boolean;
  /** The kinds the provider can purge softly (capabilities.softKinds). */
  readonly softKinds: readonly PurgeBatch['kind'][];
}

/**
 * Hard or soft for one plan entry, and why. Pure. A soft purge only marks the object stale: the
 * next fetch is a conditional request with the stored ETag / Last-Modified, and an origin whose
 * validator did not change answers 304, so the old bytes live on (reproduced on real Varnish in
 * test/e2e/soft-purge.test.ts). Hence even `soft` never soft-purges an unchanged validator:
 * such an entry is hard, and the plan warns (softModeWarnings).
 */
export function decidePurgeMode(input: ModeInput): ModeDecision {
  if (input.setting === 'hard') return { mode: 'hard', modeReason: 'mode-hard' };
  if (input.reason === 'hazard') return { mode: 'hard', modeReason: 'validator-unchanged' };
  if (input.coversHazard) return { mode: 'hard', modeReason: 'covers-hazard' };
  if (input.reason === 'forced' && input.setting === 'auto')
    return { mode: 'hard', modeReason: 'unknown-validator' };
  if (!input.softKinds.includes(input.kind)) return { mode: 'hard', modeReason: 'no-soft' };
  return input.reason === 'forced'
    ? { mode: 'soft', modeReason: 'requested-soft' }
    : { mode: 'soft', modeReason: 'validator-changed' };
}

/** One line for a mode reason, for the plan's text and Markdown. */
export function describeModeReason(reason: ModeReason): string {
  switch (reason) {
    case 'validator-changed':
      return 'the validator changes: revalidation fetches the new bytes';
    case 'validator-unchanged':
      return 'the validator did not change: a revalidation would answer 304 and keep the old bytes';
    case 'covers-hazard':
      return 'reaches a file whose validator did not change';
    case 'observed-unchanged':
      return 'the origin still sends the validator the edge holds: a revalidation would answer 304';
    case 'unknown-validator':
      return 'a manual purge: whether the validators changed is unknown';
    case 'requested-soft':
      return 'purge.mode "soft" asked for it';
    case 'no-soft':
      return 'the provider has no soft purge for this kind';
    case 'mode-hard':
      return 'purge.mode is "hard"';
  }
}

/**
 * What `purge.mode: "soft"` could not do, one line per provider and reason: entries kept hard
 * because their validator did not change, or because the provider cannot purge them softly.
 */
export function softModeWarnings(
  providers: readonly {
    readonly provider: string;
    readonly mode?: PurgeModeSetting;
    readonly entries: readonly { readonly modeReason?: ModeReason }[];
  }[],
  setting: PurgeModeSetting,
): string[] {
  const warnings: string[] = [];
  for (const plan of providers) {
    if ((plan.mode ?? setting) !== 'soft') continue;
    for (const reason of ['validator-unchanged', 'covers-hazard', 'no-soft'] as const) {
      const count = plan.entries.filter((entry) => entry.modeReason === reason).length;
      if (count === 0) continue;
      warnings.push(
        `purge.mode soft: ${count} ${count === 1 ? 'entry' : 'entries'} of ${plan.provider} purged hard: ${describeModeReason(reason)}`,
      );
    }
  }
  return warnings;
}
