import { InputError } from '../../errors.ts';
import { planManualPurge } from '../../plan/plan-purges.ts';
import { createProviders, dryRunProvider, type RecordedCall } from '../../providers/index.ts';
import { executePlan } from '../../purge/execute-plan.ts';
import { renderPlanText, renderPurgeText } from '../../report/render-text.ts';
import { parseCommandArgs } from '../args.ts';
import { CONFIG_FLAGS, CONFIG_USAGE, loadConfigFromFlags } from '../config-flags.ts';
import { type CliIO, ioLogger, printResult } from '../io.ts';

export const USAGE = `edgepurge purge (--url URL… | --prefix PATH…) [--dry-run] ${CONFIG_USAGE}`;

/** `edgepurge purge`: a manual purge of URLs or prefixes through the configured providers. */
export async function purgeCommand(args: readonly string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(
    'purge',
    args,
    {
      ...CONFIG_FLAGS,
      url: { type: 'string', multiple: true },
      prefix: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' },
    },
    USAGE,
    { min: 0, max: 0 },
  );
  const config = await loadConfigFromFlags(values, io);
  const urls = (values.url ?? []).map((url) => absolute(url, config.baseUrl));
  const prefixes = (values.prefix ?? []).map((prefix) => hostPrefix(prefix, config.baseUrl));
  if (urls.length === 0 && prefixes.length === 0) {
    // An empty purge must never turn into a purge of everything.
    throw new InputError('E_USAGE', 'edgepurge purge: nothing to purge', {
      at: '--url',
      hint: `name what to purge: ${USAGE}`,
    });
  }
  if (config.providers.length === 0) {
    throw new InputError('E_CONFIG', 'no providers configured', {
      at: 'providers',
      hint: 'add a provider to "providers" in the config (see README)',
    });
  }
  const dryRun = values['dry-run'] === true;
  const calls: RecordedCall[] = [];
  const real = createProviders(config.providers, io.env);
  const providers = dryRun ? real.map((provider) => dryRunProvider(provider, calls)) : real;
  const { plan, problems } = planManualPurge({ urls, prefixes }, providers, config.baseUrl);
  if (problems.length > 0) {
    throw new InputError('E_CAPABILITY', problems.join('; '), { at: 'providers' });
  }
  const summary = await executePlan(plan, providers, { signal: io.signal, log: ioLogger(io) });
  printResult(
    io,
    values.json === true,
    { ok: summary.failed.length === 0, dryRun, plan, purge: summary },
    () =>
      dryRun ? `dry run, nothing sent:\n${renderPlanText(plan, [])}` : renderPurgeText(summary),
  );
  return summary.failed.length === 0 ? 0 : 1;
}

function absolute(value: string, baseUrl: string): string {
  try {
    const url = new URL(value, baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    url.hash = '';
    return url.href;
  } catch {
    throw new InputError('E_USAGE', `--url "${value}" is not a URL or a path`, {
      at: '--url',
      hint: 'give https://host/path or /path (resolved against baseUrl)',
    });
  }
}

/** `/assets/` → `www.example.com/assets/`; `host/path` and `https://host/path` are accepted. */
function hostPrefix(value: string, baseUrl: string): string {
  const stripped = value.replace(/^https?:\/\//, '');
  const prefix = stripped.startsWith('/') ? `${new URL(baseUrl).host}${stripped}` : stripped;
  if (!/^[^/\s?#]+\/[^\s?#]*$/.test(prefix)) {
    throw new InputError('E_USAGE', `--prefix "${value}" is not a path prefix`, {
      at: '--prefix',
      hint: "give /path/ (on baseUrl's host) or host/path/, without a query",
    });
  }
  return prefix;
}
