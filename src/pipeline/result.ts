import type { Hazard } from '../manifest/diff-manifests.ts';
import type { PurgeSummary } from '../purge/execute-plan.ts';

/** One URL that verification found stale, and why. */
export interface StaleUrl {
  readonly url: string;
  readonly reason: string;
}

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
  readonly fixed: { readonly touched: readonly string[] };
  readonly upload: { readonly ran: boolean; readonly command?: string };
  readonly purge: PurgeSummary;
  readonly verify: {
    readonly ok: boolean;
    readonly checked: number;
    readonly stale: readonly StaleUrl[];
  };
  readonly baseline: { readonly saved: boolean; readonly path: string };
  readonly error?: { readonly code: string; readonly message: string; readonly hint?: string };
}
