/**
 * Errors that edgepurge expects to meet. Each carries a stable `code`, a `hint` that tells the
 * user what to do, and the exit code the CLI uses: 2 for wrong input, 1 for a job that failed.
 * Anything thrown that is not an EdgepurgeError is a bug and is reported as one.
 */
export type ExitCode = 1 | 2;

export interface ErrorDetails {
  /** Config key path (`providers[0].endpoints`), flag (`--out`) or file path at fault. */
  readonly at?: string;
  readonly hint?: string;
  readonly cause?: unknown;
}

export class EdgepurgeError extends Error {
  override readonly name: string = 'EdgepurgeError';
  readonly code: string;
  readonly hint: string | undefined;
  readonly at: string | undefined;
  readonly exitCode: ExitCode;

  constructor(code: string, message: string, exitCode: ExitCode, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.exitCode = exitCode;
    this.hint = details.hint;
    this.at = details.at;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, at: this.at, hint: this.hint };
  }
}

/** Wrong input: usage, config, manifest, credentials. Exit code 2, nothing changed. */
export class InputError extends EdgepurgeError {
  override readonly name: string = 'InputError';
  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super(code, message, 2, details);
  }
}

/** The job failed: a purge was refused, an endpoint unreachable, content still stale. Exit 1. */
export class JobError extends EdgepurgeError {
  override readonly name: string = 'JobError';
  constructor(code: string, message: string, details: ErrorDetails = {}) {
    super(code, message, 1, details);
  }
}

export function isEdgepurgeError(error: unknown): error is EdgepurgeError {
  return error instanceof EdgepurgeError;
}
