import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { ResolvedConfig } from '../../config/load-config.ts';
import { formatPath } from '../../config/load-config.ts';
import { type ProviderConfig, providerSchema } from '../../config/schema.ts';
import { InputError, isEdgepurgeError } from '../../errors.ts';
import {
  type ManualPurgeLabels,
  manualPurgePlan,
  manualPurgeTargets,
} from '../../pipeline/manual-purge-targets.ts';
import { type ListedValue, listLines } from '../../pipeline/purge-input-checks.ts';
import { createProviders, dryRunProvider, type RecordedCall } from '../../providers/index.ts';
import {
  PURGE_PROVIDER_FLAGS,
  PURGE_PROVIDER_USAGE,
  providerFromFlags,
} from '../../providers/registry.ts';
import { executePlan } from '../../purge/execute-plan.ts';
import { repurgeAfterOf } from '../../purge/purge-rounds.ts';
import { renderPlanText, renderPurgeText } from '../../report/render-text.ts';
import { parseCommandArgs } from '../args.ts';
import { CONFIG_FLAGS, CONFIG_USAGE, loadConfigFromFlags } from '../config-flags.ts';
import { type CliIO, ioLogger, printResult } from '../io.ts';

export const USAGE = [
  'edgepurge purge (--url URL… | --prefix PATH… | --tag TAG… | --host HOST… | --everything | --file FILE)',
  '  [--provider NAME|TYPE] [--dry-run] [--yes]',
  `  ${PURGE_PROVIDER_USAGE}`,
  `  ${CONFIG_USAGE}`,
].join('\n');

const FLAGS = {
  ...CONFIG_FLAGS,
  url: { type: 'string', multiple: true },
  prefix: { type: 'string', multiple: true },
  tag: { type: 'string', multiple: true },
  host: { type: 'string', multiple: true },
  everything: { type: 'boolean' },
  file: { type: 'string' },
  provider: { type: 'string' },
  ...PURGE_PROVIDER_FLAGS,
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
} as const;

const LABELS: ManualPurgeLabels = {
  urls: '--url',
  prefixes: '--prefix',
  tags: '--tag',
  hosts: '--host',
  provider: '--provider',
  usage: USAGE,
};

/**
 * `edgepurge purge`: a manual purge through the configured providers, or one described by
 * flags (`--provider cloudflare --zone-id …`). An empty purge is refused, never widened;
 * `--everything` asks on a terminal and needs `--yes` elsewhere.
 */
export async function purgeCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs('purge', args, FLAGS, USAGE, { min: 0, max: 0 });
  const adhoc = adhocProvider(values);
  const config = await loadOptionalConfig(values, io, adhoc !== undefined);
  const fromFile = values.file === undefined ? [] : await readList(values.file, io);
  const { targets, baseUrl } = manualPurgeTargets(
    {
      urls: values.url ?? [],
      prefixes: values.prefix ?? [],
      tags: values.tag ?? [],
      hosts: values.host ?? [],
      everything: values.everything === true,
    },
    config?.baseUrl ?? values['base-url'],
    LABELS,
    fromFile,
  );
  const everything = targets.everything === true;

  const configs =
    adhoc !== undefined ? [adhoc] : selectProviders(config?.providers ?? [], values.provider);
  const dryRun = values['dry-run'] === true;
  const calls: RecordedCall[] = [];
  const real = createProviders(configs, io.env, {
    credentials: !dryRun,
    redactor: io.redactor,
  });
  const providers = dryRun ? real.map((provider) => dryRunProvider(provider, calls)) : real;
  const plan = manualPurgePlan(targets, providers, baseUrl, LABELS, {
    ...(config === undefined ? {} : { mode: config.purge.mode }),
    repurgeAfter: repurgeAfterOf(configs),
  });
  if (everything && !dryRun && !(await confirmEverything(io, values.yes === true, configs))) {
    io.stderr.write('not purged\n');
    return 1;
  }

  const summary = await executePlan(plan, providers, {
    signal: io.signal,
    log: ioLogger(io),
    ...(config === undefined ? {} : { maxWaitSeconds: config.purge.maxWaitSeconds }),
  }).finally(() => Promise.all(real.map((provider) => provider.close?.())));
  const ok = summary.failed.length === 0;
  const requests = calls.flatMap((call) =>
    call.requests.map((line) => `${call.provider}: ${line}`),
  );
  printResult(
    io,
    values.json === true,
    { ok, dryRun, plan, purge: summary, ...(dryRun ? { requests } : {}) },
    () =>
      dryRun
        ? `dry run, nothing sent:\n${renderPlanText(plan, [])}${requests.length > 0 ? `${requests.join('\n')}\n` : ''}`
        : renderPurgeText(summary),
  );
  return ok ? 0 : 1;
}

type Values = ReturnType<typeof parseCommandArgs<typeof FLAGS>>['values'];

/**
 * A provider described by flags alone, or undefined when none of its flags is given. The flags
 * are each provider's own (`purgeFlags` in its definition, src/providers/registry.ts).
 */
function adhocProvider(values: Values): ProviderConfig | undefined {
  const described = providerFromFlags(values, values.provider);
  if (described === undefined) return undefined;
  const parsed = providerSchema.safeParse(described.raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = described.flagOf(String(issue?.path[0]));
    throw new InputError('E_USAGE', `${flag ?? formatPath(issue?.path ?? [])}: ${issue?.message}`, {
      at: flag,
    });
  }
  return parsed.data;
}

async function loadOptionalConfig(
  values: Values,
  io: CliIO,
  optional: boolean,
): Promise<ResolvedConfig | undefined> {
  try {
    return await loadConfigFromFlags(values, io);
  } catch (error) {
    if (
      optional &&
      values.config === undefined &&
      isEdgepurgeError(error) &&
      error.code === 'E_CONFIG_NOT_FOUND'
    ) {
      return undefined;
    }
    throw error;
  }
}

function selectProviders(
  configs: readonly ProviderConfig[],
  wanted: string | undefined,
): ProviderConfig[] {
  const chosen =
    wanted === undefined
      ? [...configs]
      : configs.filter((c) => (c.name ?? c.type) === wanted || c.type === wanted);
  if (chosen.length === 0) {
    throw new InputError(
      'E_CONFIG',
      wanted === undefined
        ? 'no providers configured'
        : `no configured provider is named "${wanted}"`,
      {
        at: wanted === undefined ? 'providers' : '--provider',
        hint: 'add one to "providers" in the config, or describe one with flags (e.g. --provider varnish --endpoint URL)',
      },
    );
  }
  return chosen;
}

async function confirmEverything(
  io: CliIO,
  yes: boolean,
  configs: readonly ProviderConfig[],
): Promise<boolean> {
  if (yes) return true;
  const names = configs.map((c) => c.name ?? c.type).join(', ');
  if (io.stdin?.isTTY !== true || io.stderr.isTTY !== true) {
    throw new InputError(
      'E_USAGE',
      `--everything purges every object on ${names}; refusing without a terminal to ask`,
      {
        at: '--yes',
        hint: 'add --yes to confirm',
      },
    );
  }
  const prompt = createInterface({ input: io.stdin, output: io.stderr });
  try {
    const answer = await prompt.question(`Purge EVERYTHING on ${names}? [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    prompt.close();
  }
}

/**
 * One URL or path a line (LF or CRLF); blank lines and `#` comments skipped; `-` is stdin. A
 * control character inside a line is refused naming the line.
 */
async function readList(file: string, io: CliIO): Promise<ListedValue[]> {
  let text: string;
  try {
    text = file === '-' ? await readAll(io.stdin) : await readFile(resolve(io.cwd, file), 'utf8');
  } catch (error) {
    throw new InputError('E_USAGE', `--file ${file}: ${(error as Error).message}`, {
      at: '--file',
    });
  }
  return listLines(text, `--file ${file === '-' ? '- (stdin)' : file}`, '--file');
}

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (stream === undefined) return '';
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}
