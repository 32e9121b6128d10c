import { InputError } from '../errors.ts';
import {
  type ManualTargets,
  type PlannedProvider,
  type PurgePlan,
  planManualPurge,
} from '../plan/plan-purges.ts';
import {
  checkHost,
  checkPrefixPath,
  checkTag,
  checkUrlSyntax,
  isHostPort,
  type ListedValue,
  shown,
  type ValueSource,
} from './purge-input-checks.ts';

/** How the shell calling it names each part of a manual purge in errors: flags or inputs. */
export interface ManualPurgeLabels {
  readonly urls: string;
  readonly prefixes: string;
  readonly tags: string;
  readonly hosts: string;
  readonly provider: string;
  /** The usage shown when nothing was named. */
  readonly usage: string;
}

/**
 * A manual purge's targets as the user gave them, made exact: URLs absolute (paths resolved
 * against `baseUrl`, or the first absolute URL's origin), prefixes as `host/path`. `listed`
 * are more URLs, from a list (`--file`), each naming its line. Refused before anything is
 * sent, naming the flag or input: a control character anywhere, a URL that is not http(s) or
 * holds user info, a prefix with a query or fragment, a tag with whitespace or a comma, a host
 * that is not host[:port]. An empty purge is refused, never widened. Throws InputError. Pure.
 */
export function manualPurgeTargets(
  given: Required<ManualTargets>,
  configBaseUrl: string | undefined,
  labels: ManualPurgeLabels,
  listed: readonly ListedValue[] = [],
): { targets: ManualTargets; baseUrl: string | undefined } {
  const source = (label: string) => ({ name: label, at: label });
  const urls: ListedValue[] = [
    ...given.urls.map((value) => ({ value, source: source(labels.urls) })),
    ...listed,
  ];
  for (const url of urls) checkUrlSyntax(url.value, url.source);
  const baseUrl = configBaseUrl ?? originOf(urls.map((url) => url.value));
  const targets: ManualTargets = {
    urls: urls.map((url) => absolute(url.value, baseUrl, url.source)),
    prefixes: given.prefixes.map((prefix) => hostPrefix(prefix, baseUrl, source(labels.prefixes))),
    tags: given.tags.map((tag) => checkTag(tag, source(labels.tags))),
    hosts: given.hosts.map((host) => checkHost(host, source(labels.hosts))),
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
  /** `purge.mode` and the shields' repurge delays (planManualPurge), from the config if any. */
  options: Parameters<typeof planManualPurge>[3] = {},
): PurgePlan {
  const { plan, problems } = planManualPurge(
    targets,
    providers,
    baseUrl ?? 'http://localhost',
    options,
  );
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

function absolute(value: string, baseUrl: string | undefined, source: ValueSource): string {
  let url: URL | undefined;
  try {
    url = new URL(value, baseUrl);
  } catch {}
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new InputError(
      'E_USAGE',
      `${source.name} "${shown(value)}" is not an http(s) URL${baseUrl === undefined ? '' : ' or a path'}`,
      {
        at: source.at,
        hint:
          baseUrl === undefined
            ? 'give https://host/path, or --base-url for paths'
            : 'give https://host/path or /path (resolved against baseUrl)',
      },
    );
  }
  // `\\user@host/` resolves to another host with user info: refused as an absolute URL would be.
  if (url.username !== '' || url.password !== '') checkUrlSyntax(url.href, source);
  url.hash = '';
  return url.href;
}

/**
 * `/assets/` → `www.example.com/assets/` (a path on baseUrl's host); `host/path` and
 * `https://host/path` name the host. A bare `assets/` is refused: it would read as a host.
 */
function hostPrefix(value: string, baseUrl: string | undefined, source: ValueSource): string {
  checkPrefixPath(value, source);
  const stripped = value.replace(/^https?:\/\//, '');
  const refuse = (why: string): never => {
    throw new InputError('E_USAGE', `${source.name} "${shown(value)}" ${why}`, {
      at: source.at,
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
  if (host.includes('@')) refuse('holds a user name or password; give host.name/path/');
  if (!isHostPort(host)) refuse(`starts with "${shown(host)}", which is not a host[:port]`);
  return stripped;
}
