import { CONNECT_TO } from '../config/schema.ts';
import { InputError } from '../errors.ts';
import {
  checkHost,
  checkPrefixPath,
  checkTag,
  checkUrlSyntax,
  listLines,
  type ValueSource,
} from '../pipeline/purge-input-checks.ts';
import { parseShard, type Shard } from '../verify/shard.ts';

export const ACTION_COMMANDS = ['deploy', 'plan', 'verify', 'purge'] as const;
export type ActionCommand = (typeof ACTION_COMMANDS)[number];

/** The Action's inputs, parsed: strings as the runner passes them, checked, nothing sent yet. */
export interface ActionInputs {
  /** `auto` is resolved against the event (see `commandFor`). */
  readonly command: ActionCommand | 'auto';
  readonly config?: string;
  readonly dir?: string;
  readonly baseUrl?: string;
  readonly baseline?: string;
  readonly environment?: string;
  readonly fix?: 'touch' | 'hash' | 'none';
  readonly dryRun: boolean;
  readonly connectTo: readonly string[];
  readonly report?: string;
  /** verify: check only this part of the URLs (`verify --shard I/N`). */
  readonly shard?: Shard;
  /** deploy: the plan document to apply exactly; plan: where to write it. A path. */
  readonly plan?: string;
  readonly urls: readonly string[];
  readonly prefixes: readonly string[];
  readonly tags: readonly string[];
  readonly hosts: readonly string[];
  readonly everything: boolean;
  readonly githubToken?: string;
  readonly comment: boolean;
  readonly status: boolean;
}

/** Reads one input by its action.yml name, as `@actions/core`'s `getInput` does (trimmed, '' when unset). */
export type GetInput = (name: string) => string;

// The runner passes booleans as the YAML 1.2 core schema spells them (what core.getBooleanInput
// accepts); an empty string is an input left out, which takes the default.
const TRUE = new Set(['true', 'True', 'TRUE']);
const FALSE = new Set(['false', 'False', 'FALSE']);

/**
 * Parses and checks every input. A wrong value throws an InputError naming the input (as the
 * workflow spells it) with a hint; nothing is read from disk and nothing is sent. Pure.
 */
export function readInputs(get: GetInput): ActionInputs {
  const optional = (name: string) => {
    const value = get(name).trim();
    return value === '' ? undefined : value;
  };
  const command = optional('command') ?? 'auto';
  if (command !== 'auto' && !(ACTION_COMMANDS as readonly string[]).includes(command)) {
    throw new InputError('E_INPUT', `input "command" is "${command}"`, {
      at: 'command',
      hint: `use one of auto, ${ACTION_COMMANDS.join(', ')} (auto: plan on pull_request, deploy otherwise)`,
    });
  }
  const fix = optional('fix');
  if (fix !== undefined && fix !== 'touch' && fix !== 'hash' && fix !== 'none') {
    throw new InputError('E_INPUT', `input "fix" is "${fix}"`, {
      at: 'fix',
      hint: 'use touch (give changed files a new mtime), hash (content-hash names) or none',
    });
  }
  const connectTo = lines(get('connect-to'));
  connectTo.forEach((rule, index) => {
    if (!CONNECT_TO.test(rule)) {
      throw new InputError('E_INPUT', `input "connect-to" line ${index + 1} is "${rule}"`, {
        at: 'connect-to',
        hint: 'one rule a line in curl --connect-to form HOST1:PORT1:HOST2:PORT2, e.g. www.example.com:443:127.0.0.1:8443',
      });
    }
  });
  const baseUrl = optional('base-url');
  if (baseUrl !== undefined && !isHttpUrl(baseUrl)) {
    throw new InputError('E_INPUT', `input "base-url" is "${baseUrl}", not an http(s) URL`, {
      at: 'base-url',
      hint: 'give scheme://host[:port], e.g. https://www.example.com',
    });
  }
  const report = optional('report');
  if (report !== undefined && !/\.html?$/i.test(report)) {
    throw new InputError('E_INPUT', `input "report" is "${report}"`, {
      at: 'report',
      hint: 'name an .html file (the Markdown report is the step summary)',
    });
  }
  const shard = optional('shard');
  return {
    command: command as ActionInputs['command'],
    config: optional('config'),
    dir: optional('dir'),
    baseUrl,
    baseline: optional('baseline'),
    environment: optional('environment'),
    fix,
    dryRun: bool(get, 'dry-run', false),
    connectTo,
    report,
    ...(shard === undefined ? {} : { shard: readShard(shard, command) }),
    plan: optional('plan'),
    urls: list(get, 'urls', checkUrlSyntax),
    prefixes: list(get, 'prefixes', checkPrefixPath),
    tags: list(get, 'tags', checkTag),
    hosts: list(get, 'hosts', checkHost),
    everything: bool(get, 'everything', false),
    githubToken: optional('github-token'),
    comment: bool(get, 'comment', true),
    status: bool(get, 'status', true),
  };
}

/** Which command `auto` means for an event: a plan for a pull request, a deploy otherwise. */
export function commandFor(command: ActionInputs['command'], eventName: string): ActionCommand {
  if (command !== 'auto') return command;
  return eventName === 'pull_request' || eventName === 'pull_request_target' ? 'plan' : 'deploy';
}

/**
 * The `shard` input, parsed as the CLI parses `--shard`, and only with command verify: a deploy
 * purges and saves the baseline for the whole release, so a part of its proof would be a wrong
 * verdict; purge and plan verify nothing; auto never means verify.
 */
function readShard(value: string, command: string): Shard {
  if (command !== 'verify') {
    throw new InputError('E_INPUT', `input "shard" is "${value}" with command "${command}"`, {
      at: 'shard',
      hint: 'shard applies to command: verify (a matrix of verify jobs, their JSON reports merged with `edgepurge report merge`); leave shard out for other commands',
    });
  }
  try {
    return parseShard(value, 'input "shard"');
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    // parseShard's message names the input; its hint speaks of the CLI flag.
    throw new InputError('E_INPUT', error.message, {
      at: 'shard',
      hint: `give the part and the number of parts, counting from 1: shard: 1/4 … shard: 4/4 (in a matrix: shard: \${{ matrix.shard }}/4)`,
    });
  }
}

function bool(get: GetInput, name: string, fallback: boolean): boolean {
  const value = get(name).trim();
  if (value === '') return fallback;
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new InputError('E_INPUT', `input "${name}" is "${value}", not a boolean`, {
    at: name,
    hint: 'use true or false',
  });
}

/**
 * A purge target list: one value a line (LF or CRLF), blanks and `#` comments skipped. What
 * can be told without the config is checked here, naming the input and the line: a control
 * character (a stray CR), a tag with whitespace, a host that is not host[:port]…
 */
function list(
  get: GetInput,
  name: string,
  check: (value: string, source: ValueSource) => unknown,
): string[] {
  return listLines(get(name), `input "${name}"`, name, check).map((line) => line.value);
}

/** Newline-separated values; blank lines and `#` comments are skipped. */
function lines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
