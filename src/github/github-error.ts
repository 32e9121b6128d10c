import { type EdgepurgeError, InputError, isEdgepurgeError, JobError } from '../errors.ts';
import type { Redactor } from '../redact.ts';

/** What was being done, for the message: `reading the baseline from edgepurge-state`. */
export interface GitHubErrorContext {
  readonly doing: string;
  /** `owner/repo`. */
  readonly repository: string;
  /** The permission the workflow needs for this call, named in the hint of a 403. */
  readonly permission?: string;
  /** The run's redactor: GitHub's messages and URLs pass through it. Default: none. */
  readonly redactor?: Redactor | undefined;
}

/** The parts of an @octokit/request-error RequestError that the mapping reads. */
interface RequestErrorLike {
  readonly status: number;
  readonly message: string;
  readonly response?: { readonly headers: Record<string, string | undefined> };
  readonly request?: { readonly method?: string; readonly url?: string };
}

function isRequestError(error: unknown): error is RequestErrorLike {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { status?: unknown }).status === 'number' &&
    'request' in error
  );
}

/** The HTTP status GitHub answered, or undefined when no answer came (network, abort). */
export function gitHubStatus(error: unknown): number | undefined {
  return isRequestError(error) && error.response !== undefined ? error.status : undefined;
}

const TOKEN_HINT =
  'the token is wrong or expired: the Action passes its `github-token` input; from the CLI export GITHUB_TOKEN';

/** A rate limit that the throttling plugin gave up waiting for (it retried already). */
function isRateLimit(error: RequestErrorLike): boolean {
  return (
    /\bsecondary rate\b|\brate limit exceeded\b/i.test(error.message) ||
    error.response?.headers['x-ratelimit-remaining'] === '0'
  );
}

/**
 * Turns an error of an Octokit call into what edgepurge reports: a wrong token, missing
 * permission or unknown repository is an InputError (exit 2) naming the variable to fix; a
 * network failure, a 5xx after retries or an exhausted rate limit is a JobError (exit 1) with
 * the cause. An EdgepurgeError or an abort passes through unchanged.
 */
export function toGitHubError(error: unknown, context: GitHubErrorContext): Error {
  const redact = (text: string) => context.redactor?.redact(text) ?? text;
  if (isEdgepurgeError(error)) return error;
  if (error instanceof Error && error.name === 'AbortError') return error;
  if (!isRequestError(error)) {
    return new JobError(
      'E_GITHUB',
      redact(`GitHub failed while ${context.doing}: ${String(error)}`),
      { cause: error },
    );
  }
  const cause = redact(error.message);
  const details = { cause: error };
  if (error.response === undefined) {
    const url = error.request?.url === undefined ? 'GitHub' : redact(error.request.url);
    return new JobError(
      'E_GITHUB_NETWORK',
      `cannot reach ${url} while ${context.doing}: ${cause}`,
      {
        ...details,
        hint: 'check the network and GITHUB_API_URL; nothing was written, run again',
      },
    );
  }
  const failed = `GitHub answered ${error.status} while ${context.doing}: ${cause}`;
  return mapStatus(error, failed, context, details);
}

function mapStatus(
  error: RequestErrorLike,
  failed: string,
  context: GitHubErrorContext,
  details: { cause: unknown },
): EdgepurgeError {
  if (error.status === 401) {
    return new InputError('E_GITHUB_AUTH', failed, {
      ...details,
      at: 'GITHUB_TOKEN',
      hint: TOKEN_HINT,
    });
  }
  if ((error.status === 403 || error.status === 429) && isRateLimit(error)) {
    return new JobError('E_GITHUB_RATE_LIMIT', failed, {
      ...details,
      hint: 'GitHub rate-limited the token past the retries; nothing was written, run again later',
    });
  }
  if (error.status === 403) {
    return new InputError('E_GITHUB_FORBIDDEN', failed, {
      ...details,
      at: 'GITHUB_TOKEN',
      hint: `the token may not do this: give the workflow job \`permissions: ${context.permission ?? 'contents: write'}\`; on a pull request from a fork the token is read-only`,
    });
  }
  if (error.status === 409 && /repository is empty/i.test(error.message)) {
    // The Git Data API answers 409 "Git Repository is empty." until the first commit.
    return new InputError('E_GITHUB_EMPTY_REPOSITORY', failed, {
      ...details,
      at: 'GITHUB_REPOSITORY',
      hint: `${context.repository} has no commit yet: push one first (the state branch is written through the Git Data API, which needs a non-empty repository)`,
    });
  }
  if (error.status === 404) {
    return new InputError('E_GITHUB_NOT_FOUND', failed, {
      ...details,
      at: 'GITHUB_REPOSITORY',
      hint: `check GITHUB_REPOSITORY (${context.repository}, as owner/repo) and that the token can see that repository`,
    });
  }
  return new JobError(error.status >= 500 ? 'E_GITHUB_UNAVAILABLE' : 'E_GITHUB', failed, {
    ...details,
    hint:
      error.status >= 500
        ? 'GitHub failed past the retries; nothing was written, run again'
        : undefined,
  });
}
