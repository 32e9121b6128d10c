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
import { createProviders, dryRunProvider, type RecordedCall } from '../../providers/index.ts';
import { executePlan } from '../../purge/execute-plan.ts';
import { renderPlanText, renderPurgeText } from '../../report/render-text.ts';
import { parseCommandArgs } from '../args.ts';
import { CONFIG_FLAGS, CONFIG_USAGE, loadConfigFromFlags } from '../config-flags.ts';
import { type CliIO, ioLogger, printResult } from '../io.ts';

export const USAGE = [
  'edgepurge purge (--url URL… | --prefix PATH… | --tag TAG… | --host HOST… | --everything | --file FILE)',
  '  [--provider NAME|TYPE] [--dry-run] [--yes]',
  '  [--endpoint URL…] (varnish) [--zone-id ID --plan PLAN] (cloudflare) [--service-id ID --soft] (fastly)',
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
  endpoint: { type: 'string', multiple: true },
  'zone-id': { type: 'string' },
  plan: { type: 'string' },
  'service-id': { type: 'string' },
  soft: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
} as const;

const LABELS: ManualPurgeLabels = {
  urls: '--url',
  prefixes: '--prefix',
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
      urls: [...(values.url ?? []), ...fromFile],
      prefixes: values.prefix ?? [],
      tags: values.tag ?? [],
      hosts: values.host ?? [],
      everything: values.everything === true,
    },
    config?.baseUrl ?? values['base-url'],
    LABELS,
  );
  const everything = targets.everything === true;

  const configs =
    adhoc !== undefined ? [adhoc] : selectProviders(config?.providers ?? [], values.provider);
  const dryRun = values['dry-run'] === true;
  const calls: RecordedCall[] = [];
  const real = createProviders(configs, io.env, { credentials: !dryRun });
  const providers = dryRun ? real.map((provider) => dryRunProvider(provider, calls)) : real;
  const plan = manualPurgePlan(targets, providers, baseUrl, LABELS);
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

/** A provider described by flags alone, or undefined when none of its flags is given. */
function adhocProvider(values: Values): ProviderConfig | undefined {
  const raw: Record<string, unknown> | undefined =
    values.endpoint !== undefined
      ? { type: 'varnish', endpoints: values.endpoint }
      : values['zone-id'] !== undefined
        ? {
            type: 'cloudflare',
            zoneId: values['zone-id'],
            ...(values.plan ? { plan: values.plan } : {}),
          }
        : values['service-id'] !== undefined
          ? { type: 'fastly', serviceId: values['service-id'], soft: values.soft === true }
          : undefined;
  if (raw === undefined) return undefined;
  if (values.provider !== undefined && values.provider !== raw.type) {
    throw new InputError(
      'E_USAGE',
      `--provider ${values.provider} does not match the flags of a ${raw.type} provider`,
      {
        at: '--provider',
        hint: 'varnish takes --endpoint, cloudflare --zone-id/--plan, fastly --service-id/--soft',
      },
    );
  }
  const parsed = providerSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = {
      endpoints: '--endpoint',
      zoneId: '--zone-id',
      plan: '--plan',
      serviceId: '--service-id',
    }[String(issue?.path[0])];
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

/** One URL or path a line; blank lines and `#` comments skipped; `-` is stdin. */
async function readList(file: string, io: CliIO): Promise<string[]> {
  let text: string;
  try {
    text = file === '-' ? await readAll(io.stdin) : await readFile(resolve(io.cwd, file), 'utf8');
  } catch (error) {
    throw new InputError('E_USAGE', `--file ${file}: ${(error as Error).message}`, {
      at: '--file',
    });
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (stream === undefined) return '';
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}
