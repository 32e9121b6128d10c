import { formatError } from '../format-error.ts';
import { createRedactor, registerSecretsFromEnv } from '../redact.ts';
import { VERSION } from '../version.ts';
import type { CliHost, CliIO } from './io.ts';

/** A command's usage line and entry point, from its module. */
interface LoadedCommand {
  readonly usage: string;
  readonly run: (args: readonly string[], io: CliIO) => Promise<number>;
}

interface Command {
  readonly summary: string;
  readonly load: () => Promise<LoadedCommand>;
}

// Commands load when they run: `--help`, `--version` and `manifest` must not pay for the
// config schema, the report renderers, the verifier or any provider's SDK (issue 7: start-up
// within 3× of `node -e 0`). Only names and summaries live here.
const COMMANDS: Readonly<Record<string, Command>> = {
  deploy: {
    summary: 'scan, fix, purge, verify; save the baseline when verified',
    load: async () => {
      const { USAGE, deployCommand } = await import('./commands/deploy.ts');
      return { usage: USAGE, run: deployCommand };
    },
  },
  plan: {
    summary: 'show what deploy would do; changes nothing',
    load: async () => {
      const { USAGE, planCommand } = await import('./commands/plan.ts');
      return { usage: USAGE, run: planCommand };
    },
  },
  manifest: {
    summary: 'scan a directory into a release manifest',
    load: async () => {
      const { USAGE, manifestCommand } = await import('./commands/manifest.ts');
      return { usage: USAGE, run: manifestCommand };
    },
  },
  diff: {
    summary: 'compare two manifests; list validator hazards',
    load: async () => {
      const { USAGE, diffCommand } = await import('./commands/diff.ts');
      return { usage: USAGE, run: diffCommand };
    },
  },
  touch: {
    summary: 'new mtimes for files whose validators would not change',
    load: async () => {
      const { USAGE, touchCommand } = await import('./commands/touch.ts');
      return { usage: USAGE, run: touchCommand };
    },
  },
  purge: {
    summary: 'purge URLs or prefixes through the configured providers',
    load: async () => {
      const { USAGE, purgeCommand } = await import('./commands/purge.ts');
      return { usage: USAGE, run: purgeCommand };
    },
  },
  verify: {
    summary: 'check that the edge serves the release',
    load: async () => {
      const { USAGE, verifyCommand } = await import('./commands/verify.ts');
      return { usage: USAGE, run: verifyCommand };
    },
  },
  report: {
    summary: 'merge the --json reports of verify --shard I/N into one',
    load: async () => {
      const { USAGE, reportCommand } = await import('./commands/report.ts');
      return { usage: USAGE, run: reportCommand };
    },
  },
  hash: {
    summary: 'content-hash names for referenced assets, every reference rewritten',
    load: async () => {
      const { USAGE, hashCommand } = await import('./commands/hash.ts');
      return { usage: USAGE, run: hashCommand };
    },
  },
  demo: {
    summary: 'the stale-304 bug and its fix, on a local edge the command starts itself',
    load: async () => {
      const { USAGE, demoCommand } = await import('./commands/demo.ts');
      return { usage: USAGE, run: demoCommand };
    },
  },
};

function helpText(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((name) => name.length));
  const rows = names.map((name) => `  ${name.padEnd(width)}  ${COMMANDS[name]?.summary}`);
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
 * hint (no stack); anything else is reported as a bug. Only bin/edgepurge.js exits. Each run
 * has its own redactor, knowing the credentials of its env: runs in one process share none.
 */
export async function main(argv: readonly string[], host: CliHost): Promise<number> {
  const io: CliIO = { ...host, redactor: createRedactor() };
  registerSecretsFromEnv(io.redactor, io.env);
  const { redact } = io.redactor;
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
    const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (command === undefined) {
      io.stderr.write(
        `error: unknown command "${redact(name)}"\nhint: one of ${Object.keys(COMMANDS).join(', ')}\n`,
      );
      return 2;
    }
    const { usage, run } = await command.load();
    if (args.includes('--help') || args.includes('-h')) {
      io.stdout.write(`usage: ${usage}\n`);
      return 0;
    }
    return await run(args, io);
  } catch (error) {
    // The same words as the Action's failed step (src/format-error.ts): message, at, hint.
    const formatted = formatError(error, io.redactor, io.signal.aborted);
    if (json) {
      io.stdout.write(redact(`${JSON.stringify({ ok: false, error: formatted.json }, null, 2)}\n`));
    }
    io.stderr.write(`${formatted.text}\n`);
    return formatted.exitCode;
  }
}
