import type { ResolvedConfig } from '../config/load-config.ts';
import type { Logger } from '../log.ts';
import type { Redactor } from '../redact.ts';
import type { DeployContext } from '../report/summarize-report.ts';
import type { VerifyReport } from '../verify/report-types.ts';
import type { ActionOutputs } from './action-outputs.ts';
import type { GitHubPublisher } from './github-publisher.ts';
import type { ActionInputs } from './read-inputs.ts';

/** What a step (deploy, plan, verify, purge) is given: the resolved config and the run's ports. */
export interface StepContext {
  readonly config: ResolvedConfig;
  readonly inputs: ActionInputs;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
  /** The run's redactor: knows every credential the run read. */
  readonly redactor: Redactor;
  readonly signal: AbortSignal;
  readonly github: GitHubPublisher;
}

/** What a step hands back to the Action's shell, which writes outputs, summary and annotations. */
export interface StepOutcome {
  readonly ok: boolean;
  /** The JSON document, the same the CLI's `--json` prints for the command. */
  readonly document: unknown;
  readonly outputs: Omit<ActionOutputs, 'json'>;
  /** The step summary (Markdown). */
  readonly summary: string;
  /** For annotations and the HTML report, when the step verified. */
  readonly verify?: VerifyReport;
  readonly deploy?: DeployContext;
  /** Why the step failed, when it did: the step fails with it. */
  readonly error?: { readonly code: string; readonly message: string; readonly hint?: string };
}
