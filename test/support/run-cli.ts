import { fileURLToPath } from 'node:url';
import { type ProcessRun, runProcess } from './run-process.ts';

export const BIN = fileURLToPath(new URL('../../bin/edgepurge.js', import.meta.url));

export type CliRun = ProcessRun;

/**
 * Runs the CLI as a user does: a separate Node process (the project's Node 24, the one running
 * the tests), with its own cwd and environment, no TTY.
 */
export function runCli(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string },
): Promise<CliRun> {
  return runProcess(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    input: options.input ?? '',
  });
}
