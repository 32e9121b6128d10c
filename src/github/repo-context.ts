import { InputError } from '../errors.ts';
import type { Redactor } from '../redact.ts';
import { DEFAULT_GITHUB_API_URL } from './github-constants.ts';

/** The repository and run edgepurge works for, as the Actions runner describes them. */
export interface RepoContext {
  readonly owner: string;
  readonly repo: string;
  readonly token: string;
  /** `GITHUB_API_URL`, default https://api.github.com. */
  readonly apiUrl: string;
  /** `GITHUB_SERVER_URL`, default https://github.com. */
  readonly serverUrl: string;
  /** `GITHUB_SHA`, the commit being deployed, when set. */
  readonly sha?: string;
  readonly runId?: string;
  /** The run's page (`SERVER/OWNER/REPO/actions/runs/ID`), when `GITHUB_RUN_ID` is set. */
  readonly runUrl?: string;
  readonly eventName?: string;
}

export interface ReadRepoContextOptions {
  /** A token passed otherwise (the Action's `github-token` input); wins over GITHUB_TOKEN. */
  readonly token?: string;
  /** Why the context is needed, for the message: `baseline "github:"`. */
  readonly reason?: string;
  /** The run's redactor: it learns the token read. */
  readonly redactor?: Redactor;
}

const HINT =
  'the Action passes its `github-token` input and sets GITHUB_REPOSITORY; from the CLI export GITHUB_TOKEN and GITHUB_REPOSITORY=owner/repo';

/**
 * Reads the repository context from the runner's variables. Throws InputError (exit 2) naming
 * the variable when the token or the repository is missing or malformed. Pure but for
 * registering the token with `options.redactor`.
 */
export function readRepoContext(
  env: NodeJS.ProcessEnv,
  options: ReadRepoContextOptions = {},
): RepoContext {
  const reason = options.reason ?? 'GitHub access';
  const token = nonEmpty(options.token) ?? nonEmpty(env.GITHUB_TOKEN);
  if (token === undefined) {
    throw new InputError(
      'E_GITHUB_TOKEN',
      `${reason} needs a GitHub token; GITHUB_TOKEN is not set`,
      {
        at: 'GITHUB_TOKEN',
        hint: HINT,
      },
    );
  }
  options.redactor?.register(token);
  const repository = nonEmpty(env.GITHUB_REPOSITORY);
  const match = repository === undefined ? null : /^([^/\s]+)\/([^/\s]+)$/.exec(repository);
  if (match === null) {
    throw new InputError(
      'E_GITHUB_REPOSITORY',
      repository === undefined
        ? `${reason} needs the repository; GITHUB_REPOSITORY is not set`
        : `GITHUB_REPOSITORY is ${JSON.stringify(repository)}; expected owner/repo`,
      { at: 'GITHUB_REPOSITORY', hint: HINT },
    );
  }
  const owner = match[1] as string;
  const repo = match[2] as string;
  const serverUrl = (nonEmpty(env.GITHUB_SERVER_URL) ?? 'https://github.com').replace(/\/+$/, '');
  const runId = nonEmpty(env.GITHUB_RUN_ID);
  return {
    owner,
    repo,
    token,
    apiUrl: (nonEmpty(env.GITHUB_API_URL) ?? DEFAULT_GITHUB_API_URL).replace(/\/+$/, ''),
    serverUrl,
    ...optional('sha', nonEmpty(env.GITHUB_SHA)),
    ...optional('runId', runId),
    ...optional('runUrl', runId && `${serverUrl}/${owner}/${repo}/actions/runs/${runId}`),
    ...optional('eventName', nonEmpty(env.GITHUB_EVENT_NAME)),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
