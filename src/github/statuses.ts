import type { Logger } from '../log.ts';
import type { Redactor } from '../redact.ts';
import { toGitHubError } from './github-error.ts';
import type { GitHubClient } from './octokit.ts';

// GitHub refuses a status description over 140 characters (docs.github.com/en/rest/commits/statuses
// and /deployments/statuses: "A short description of the status. The maximum description
// length is 140 characters.").
export const MAX_STATUS_DESCRIPTION = 140;

export interface CommitStatusOptions {
  readonly owner: string;
  readonly repo: string;
  readonly sha: string;
  /** The status context is `edgepurge/<environment>`. */
  readonly environment: string;
  readonly state: 'pending' | 'success' | 'failure' | 'error';
  readonly description: string;
  /** The run's page, linked from the status. */
  readonly targetUrl?: string;
  readonly log: Logger;
  /** The run's redactor, for the warning of a status that could not be set. */
  readonly redactor?: Redactor;
}

/** The commit status context of an environment. */
export function statusContext(environment: string): string {
  return `edgepurge/${environment}`;
}

/**
 * Sets the commit status `edgepurge/<environment>` on `sha`. A status that cannot be posted (a
 * read-only token, a network failure) is a warning, not a failed deploy: returns false.
 */
export async function setCommitStatus(
  octokit: GitHubClient,
  options: CommitStatusOptions,
): Promise<boolean> {
  const { owner, repo, sha, environment, state } = options;
  const what = `commit status ${statusContext(environment)} on ${sha.slice(0, 7)}`;
  return postOrWarn(options, what, `${owner}/${repo}`, 'statuses: write', () =>
    octokit.rest.repos.createCommitStatus({
      owner,
      repo,
      sha,
      state,
      context: statusContext(environment),
      description: cutDescription(options.description),
      ...(options.targetUrl === undefined ? {} : { target_url: options.targetUrl }),
    }),
  );
}

export interface DeploymentStatusOptions {
  readonly owner: string;
  readonly repo: string;
  readonly deploymentId: number;
  readonly state: 'in_progress' | 'success' | 'failure' | 'error';
  readonly environment: string;
  /** Where the deployed site is: the base URL. */
  readonly environmentUrl?: string;
  /** The run's page. */
  readonly logUrl?: string;
  readonly description?: string;
  readonly log: Logger;
  /** The run's redactor, for the warning of a status that could not be set. */
  readonly redactor?: Redactor;
}

/** Sets a deployment status on a `deployment` event's deployment; a failure is a warning (false). */
export async function setDeploymentStatus(
  octokit: GitHubClient,
  options: DeploymentStatusOptions,
): Promise<boolean> {
  const { owner, repo, deploymentId, state, environment } = options;
  const what = `deployment status of deployment ${deploymentId}`;
  return postOrWarn(options, what, `${owner}/${repo}`, 'deployments: write', () =>
    octokit.rest.repos.createDeploymentStatus({
      owner,
      repo,
      deployment_id: deploymentId,
      state,
      environment,
      ...(options.environmentUrl === undefined ? {} : { environment_url: options.environmentUrl }),
      ...(options.logUrl === undefined ? {} : { log_url: options.logUrl }),
      ...(options.description === undefined
        ? {}
        : { description: cutDescription(options.description) }),
    }),
  );
}

/** Cuts a description to GitHub's 140 characters, ending in `…` when cut, whole code points. */
export function cutDescription(description: string): string {
  const points = Array.from(description);
  if (points.length <= MAX_STATUS_DESCRIPTION) return description;
  return `${points.slice(0, MAX_STATUS_DESCRIPTION - 1).join('')}…`;
}

async function postOrWarn(
  { log, redactor }: { readonly log: Logger; readonly redactor?: Redactor },
  what: string,
  repository: string,
  permission: string,
  post: () => Promise<unknown>,
): Promise<boolean> {
  try {
    await post();
    return true;
  } catch (error) {
    const mapped = toGitHubError(error, {
      doing: `setting the ${what}`,
      repository,
      permission,
      redactor,
    });
    const hint = 'hint' in mapped && typeof mapped.hint === 'string' ? ` (${mapped.hint})` : '';
    const message = `could not set the ${what}: ${mapped.message}${hint}`;
    log.warn(redactor?.redact(message) ?? message);
    return false;
  }
}
