import { type ExitCode, isEdgepurgeError } from './errors.ts';
import type { Redactor } from './redact.ts';

/** An error as both shells (the CLI, the Action) report it. */
export interface FormattedError {
  /** The lines for a person, redacted: `error: …`, `  at: …`, `hint: …` (or the bug report). */
  readonly text: string;
  readonly exitCode: ExitCode;
  /** For `--json` and the Action's JSON document: the code and message. */
  readonly json: { readonly code: string; readonly message: string } & Record<string, unknown>;
}

/**
 * Formats a thrown error the same way for every shell: an expected error (EdgepurgeError) as
 * its message, `at` and hint with no stack; an interruption as such; anything else as a bug
 * with a short stack. Secrets are redacted by the run's `redactor`.
 */
export function formatError(
  error: unknown,
  redactor: Redactor,
  interrupted = false,
): FormattedError {
  if (isEdgepurgeError(error)) {
    const lines = [`error: ${error.message}`];
    if (error.at !== undefined && !error.message.includes(error.at))
      lines.push(`  at: ${error.at}`);
    if (error.hint !== undefined) lines.push(`hint: ${error.hint}`);
    return {
      text: redactor.redact(lines.join('\n')),
      exitCode: error.exitCode,
      json: error.toJSON() as FormattedError['json'],
    };
  }
  if (interrupted) {
    const message = 'interrupted; the baseline was not saved';
    return {
      text: `edgepurge: ${message}`,
      exitCode: 1,
      json: { code: 'E_INTERRUPTED', message },
    };
  }
  const err = error as Error;
  const stack = (err?.stack ?? String(error)).split('\n').slice(0, 6).join('\n');
  return {
    text: redactor.redact(`edgepurge: this is a bug, please report it:\n${stack}`),
    exitCode: 1,
    json: { code: 'E_BUG', message: String(err?.message ?? error) },
  };
}
