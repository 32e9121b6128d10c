import { isEdgepurgeError } from '../errors.ts';
import { redact, registerSecretsFromEnv } from '../redact.ts';
import * as deploy from './commands/deploy.ts';
import * as diff from './commands/diff.ts';
import * as manifest from './commands/manifest.ts';
import * as plan from './commands/plan.ts';
import * as purge from './commands/purge.ts';
import * as touch from './commands/touch.ts';
import * as verify from './commands/verify.ts';
import type { CliIO } from './io.ts';

interface Command {
  readonly summary: string;
  readonly USAGE: string;
  readonly run: (args: readonly string[], io: CliIO) => Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  deploy: {
    summary: 'scan, fix, purge, verify; save the baseline when verified',
    USAGE: deploy.USAGE,
    run: deploy.deployCommand,
  },
  plan: {
    summary: 'show what deploy would do; changes nothing',
    USAGE: plan.USAGE,
    run: plan.planCommand,
  },
  manifest: {
    summary: 'scan a directory into a release manifest',
    USAGE: manifest.USAGE,
    run: manifest.manifestCommand,
  },
  diff: {
    summary: 'compare two manifests; list validator hazards',
    USAGE: diff.USAGE,
    run: diff.diffCommand,
  },
  touch: {
    summary: 'new mtimes for files whose validators would not change',
    USAGE: touch.USAGE,
    run: touch.touchCommand,
  },
  purge: {
    summary: 'purge URLs or prefixes through the configured providers',
    USAGE: purge.USAGE,
    run: purge.purgeCommand,
  },
  verify: {
    summary: 'check that the edge serves the release',
    USAGE: verify.USAGE,
    run: verify.verifyCommand,
  },
};

/** Registers a command defined outside this file (the demo, which pulls in servers). */
const lazy: Record<
  string,
  { summary: string; usage: string; load: () => Promise<Command['run']> }
> = {
  demo: {
    summary: 'the stale-304 bug and its fix, on a local edge the command starts itself',
    usage: 'edgepurge demo [--stack embedded|system] [--verbose]',
    load: async () => (await import('./commands/demo.ts')).demoCommand,
  },
};

export const VERSION = '0.1.0';

/** With --json, stdout holds one document even when the run ends abnormally. */
function writeJsonError(io: CliIO, code: string, message: string): void {
  io.stdout.write(redact(`${JSON.stringify({ ok: false, error: { code, message } }, null, 2)}\n`));
}

function helpText(): string {
  const names = [...Object.keys(COMMANDS), ...Object.keys(lazy)];
  const width = Math.max(...names.map((name) => name.length));
  const rows = names.map((name) => {
    const summary = COMMANDS[name]?.summary ?? lazy[name]?.summary ?? '';
    return `  ${name.padEnd(width)}  ${summary}`;
  });
  return [
    'edgepurge — make a deploy stick: fix validators, purge the edge, prove it.',
    '',
    'usage: edgepurge <command> [options]',
    '',
    ...rows,
    '',
    "Run `edgepurge <command> --help` for a command's options.",
    'Exit codes: 0 verified (or nothing to do), 1 the job failed, 2 wrong input.',
    '',
  ].join('\n');
}

/**
 * Runs one command line and returns its exit code. Expected errors print their message and
 * hint (no stack); anything else is reported as a bug. Only bin/edgepurge.js exits.
 */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  registerSecretsFromEnv(io.env);
  const [name, ...args] = argv;
  const json = args.includes('--json');
  try {
    if (name === undefined) {
      io.stderr.write(helpText());
      return 2;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      io.stdout.write(helpText());
      return 0;
    }
    if (name === '--version' || name === '-v') {
      io.stdout.write(`${VERSION}\n`);
      return 0;
    }
    const command = COMMANDS[name];
    const deferred = lazy[name];
    if (command === undefined && deferred === undefined) {
      io.stderr.write(
        `error: unknown command "${redact(name)}"\nhint: one of ${[...Object.keys(COMMANDS), ...Object.keys(lazy)].join(', ')}\n`,
      );
      return 2;
    }
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout.write(`usage: ${command?.USAGE ?? deferred?.usage}\n`);
      return 0;
    }
    const run = command?.run ?? (await (deferred as (typeof lazy)[string]).load());
    return await run(args, io);
  } catch (error) {
    if (isEdgepurgeError(error)) {
      if (json) {
        io.stdout.write(
          redact(`${JSON.stringify({ ok: false, error: error.toJSON() }, null, 2)}\n`),
        );
      }
      const lines = [`error: ${error.message}`];
      if (error.at !== undefined && !error.message.includes(error.at))
        lines.push(`  at: ${error.at}`);
      if (error.hint !== undefined) lines.push(`hint: ${error.hint}`);
      io.stderr.write(redact(`${lines.join('\n')}\n`));
      return error.exitCode;
    }
    if (io.signal.aborted) {
      if (json) writeJsonError(io, 'E_INTERRUPTED', 'interrupted; the baseline was not saved');
      io.stderr.write('edgepurge: interrupted; the baseline was not saved\n');
      return 1;
    }
    const err = error as Error;
    const stack = (err?.stack ?? String(error)).split('\n').slice(0, 6).join('\n');
    if (json) writeJsonError(io, 'E_BUG', String(err?.message ?? error));
    io.stderr.write(redact(`edgepurge: this is a bug, please report it:\n${stack}\n`));
    return 1;
  }
}
