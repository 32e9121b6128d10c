import { InputError } from '../errors.ts';
import {
  type ManualTargets,
  type PlannedProvider,
  type PurgePlan,
  planManualPurge,
} from '../plan/plan-purges.ts';

/** How the shell calling it names each part of a manual purge in errors: flags or inputs. */
export interface ManualPurgeLabels {
  readonly urls: string;
  readonly prefixes: string;
  readonly provider: string;
  /** The usage shown when nothing was named. */
  readonly usage: string;
}

/**
 * A manual purge's targets as the user gave them, made exact: URLs absolute (paths resolved
 * against `baseUrl`, or the first absolute URL's origin), prefixes as `host/path`. An empty
 * purge is refused, never widened. Throws InputError naming the label at fault. Pure.
 */
export function manualPurgeTargets(
  given: Required<ManualTargets>,
  configBaseUrl: string | undefined,
  labels: ManualPurgeLabels,
): { targets: ManualTargets; baseUrl: string | undefined } {
  const baseUrl = configBaseUrl ?? originOf(given.urls);
  const targets: ManualTargets = {
    urls: given.urls.map((url) => absolute(url, baseUrl, labels.urls)),
    prefixes: given.prefixes.map((prefix) => hostPrefix(prefix, baseUrl, labels.prefixes)),
    tags: given.tags,
    hosts: given.hosts,
    everything: given.everything,
  };
  const count = targets.urls.length + targets.prefixes.length + given.tags.length;
  if (count + given.hosts.length === 0 && !given.everything) {
    // An empty purge must never turn into a purge of everything.
    throw new InputError('E_USAGE', 'edgepurge purge: nothing to purge', {
      at: labels.urls,
      hint: `name what to purge:\n${labels.usage}`,
    });
  }
  return { targets, baseUrl };
}

/** The manual purge's plan; what a provider cannot do is refused before anything is sent. */
export function manualPurgePlan(
  targets: ManualTargets,
  providers: readonly PlannedProvider[],
  baseUrl: string | undefined,
  labels: ManualPurgeLabels,
): PurgePlan {
  const { plan, problems } = planManualPurge(targets, providers, baseUrl ?? 'http://localhost');
  if (problems.length > 0) {
    throw new InputError('E_CAPABILITY', problems.join('; '), {
      at: labels.provider,
      hint: `choose a provider that can, with ${labels.provider}, or purge by URL`,
    });
  }
  return plan;
}

function originOf(urls: readonly string[]): string | undefined {
  for (const url of urls) {
    if (/^https?:\/\//.test(url)) return new URL(url).origin;
  }
  return undefined;
}

function absolute(value: string, baseUrl: string | undefined, label: string): string {
  try {
    const url = new URL(value, baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    url.hash = '';
    return url.href;
  } catch {
    throw new InputError(
      'E_USAGE',
      `${label} "${value}" is not a URL${baseUrl === undefined ? '' : ' or a path'}`,
      {
        at: label,
        hint:
          baseUrl === undefined
            ? 'give https://host/path, or --base-url for paths'
            : 'give https://host/path or /path (resolved against baseUrl)',
      },
    );
  }
}

/**
 * `/assets/` → `www.example.com/assets/` (a path on baseUrl's host); `host/path` and
 * `https://host/path` name the host. A bare `assets/` is refused: it would read as a host.
 */
function hostPrefix(value: string, baseUrl: string | undefined, label: string): string {
  const stripped = value.replace(/^https?:\/\//, '');
  const refuse = (why: string): never => {
    throw new InputError('E_USAGE', `${label} "${value}" ${why}`, {
      at: label,
      hint: "give /path/ (on baseUrl's host) or host.name/path/, without a query",
    });
  };
  if (stripped.startsWith('/')) {
    if (baseUrl === undefined) refuse('is a path, and there is no baseUrl to find its host');
    return `${new URL(baseUrl as string).host}${stripped}`;
  }
  const host = stripped.split('/')[0] ?? '';
  const explicit =
    value !== stripped || host.includes('.') || host.includes(':') || host === 'localhost';
  if (!explicit)
    refuse(`starts with "${host}", which is not a host name; for a path write /${stripped}`);
  if (!/^[^/\s?#]+\/[^\s?#]*$/.test(stripped)) refuse('is not a path prefix');
  return stripped;
}
