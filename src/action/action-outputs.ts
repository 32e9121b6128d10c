import { setOutput } from '@actions/core';
import type { Redactor } from '../redact.ts';
import type { VerifyReport } from '../verify/report-types.ts';

/** The Action's outputs (action.yml), as numbers and flags before they become strings. */
export interface ActionOutputs {
  readonly ok: boolean;
  /** Files added + changed + removed. */
  readonly changed: number;
  readonly purgedUrls: number;
  /** Purge requests sent (a plan: the requests it would send). */
  readonly requests: number;
  /** URLs proven fresh. */
  readonly verified: number;
  readonly staleUrls: readonly string[];
  readonly baselineSaved: boolean;
  /** Path of the JSON document. */
  readonly json?: string;
}

export const NO_OUTPUTS: ActionOutputs = {
  ok: false,
  changed: 0,
  purgedUrls: 0,
  requests: 0,
  verified: 0,
  staleUrls: [],
  baselineSaved: false,
};

/** The counts a verification report gives the outputs. Pure. */
export function verifyOutputs(report: VerifyReport): Pick<ActionOutputs, 'verified' | 'staleUrls'> {
  const fresh =
    report.urls.length > 0
      ? report.urls.filter((url) => url.fresh).length
      : Math.max(0, report.checked - report.stale.length);
  return { verified: fresh, staleUrls: report.stale.map((stale) => stale.url) };
}

/** The outputs as the runner receives them: names from action.yml, every value a string. Pure. */
export function outputStrings(outputs: ActionOutputs): Record<string, string> {
  return {
    ok: String(outputs.ok),
    changed: String(outputs.changed),
    'purged-urls': String(outputs.purgedUrls),
    requests: String(outputs.requests),
    verified: String(outputs.verified),
    stale: String(outputs.staleUrls.length),
    'stale-urls': JSON.stringify(outputs.staleUrls),
    'baseline-saved': String(outputs.baselineSaved),
    json: outputs.json ?? '',
  };
}

/** Writes every output to `$GITHUB_OUTPUT` (through @actions/core), redacted. */
export function writeOutputs(outputs: ActionOutputs, redactor: Redactor): void {
  for (const [name, value] of Object.entries(outputStrings(outputs))) {
    setOutput(name, redactor.redact(value));
  }
}
