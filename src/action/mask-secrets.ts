import { setSecret } from '@actions/core';
import { type Redactor, SECRET_ENV_NAMES } from '../redact.ts';
import type { GetInput } from './read-inputs.ts';

/** Inputs that hold credentials. */
export const SECRET_INPUTS = ['github-token'] as const;

/**
 * Masks every credential the Action reads — the vendors' variables (CLOUDFLARE_API_TOKEN,
 * FASTLY_API_TOKEN, GITHUB_TOKEN, …) and the `github-token` input — before anything else is
 * printed: `::add-mask::` makes the runner hide the value in every later log line, and
 * registering it with the run's redactor makes edgepurge's own redaction hide it from the
 * summary, outputs and JSON.
 * Runs first; prints nothing but the mask commands.
 */
export function maskSecrets(env: NodeJS.ProcessEnv, get: GetInput, redactor: Redactor): void {
  const values = [
    ...SECRET_ENV_NAMES.map((name) => env[name]),
    ...SECRET_INPUTS.map((name) => get(name)),
  ];
  for (const value of values) {
    if (value === undefined || value.trim() === '') continue;
    // The runner masks each line of a multi-line value on its own.
    for (const line of value.split(/\r?\n/)) if (line.trim() !== '') setSecret(line.trim());
    redactor.register(value);
  }
}
