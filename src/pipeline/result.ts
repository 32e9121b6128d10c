import type { Hazard } from '../manifest/diff-manifests.ts';
import type { PurgePlan } from '../plan/plan-purges.ts';
import type { PurgeSummary } from '../purge/execute-plan.ts';
import type { VerifyReport } from '../verify/report-types.ts';
import type { OriginDecision } from './decide-origin-style.ts';

/** What `deploy --json` prints: the whole run, as data. */
export interface DeployResult {
  readonly ok: boolean;
  readonly dryRun: boolean;
  readonly diff: {
    readonly added: readonly string[];
    readonly changed: readonly string[];
    readonly removed: readonly string[];
    readonly unchanged: number;
    readonly hazards: readonly Hazard[];
  };
  /** How the origin builds validators (`origin.validators`), and the evidence for `auto`. */
  readonly origin?: OriginDecision;
  readonly fixed: {
    readonly touched: readonly string[];
    /** `fix: "hash"`: files renamed to content-hash names (original → hashed path). */
    readonly renamed?: readonly { readonly from: string; readonly to: string }[];
    /** `fix: "hash"`: files whose references were rewritten (they keep their names). */
    readonly rewritten?: readonly string[];
  };
  readonly upload: { readonly ran: boolean; readonly command?: string };
  readonly purge: PurgeSummary;
  /** The full verification report: at least ok, checked and stale[{ url, reason }]. */
  readonly verify: VerifyReport;
  readonly baseline: { readonly saved: boolean; readonly path: string };
  /** The purge plan this run executed (or, dry, would have): every entry with its reason. */
  readonly plan?: PurgePlan;
  readonly error?: { readonly code: string; readonly message: string; readonly hint?: string };
}
