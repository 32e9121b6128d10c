import { formatError } from '../format-error.ts';
import { createOctokit, type GitHubClient } from '../github/octokit.ts';
import { upsertPlanComment } from '../github/pr-comment.ts';
import { type RepoContext, readRepoContext } from '../github/repo-context.ts';
import { setCommitStatus, setDeploymentStatus } from '../github/statuses.ts';
import type { Logger } from '../log.ts';
import type { Redactor } from '../redact.ts';
import { type ActionEvent, PULL_REQUEST_EVENTS, STATUS_EVENTS } from './read-event.ts';

/** What the Action tells GitHub besides its outputs: a commit (and deployment) status, a PR comment. */
export interface GitHubPublisher {
  /** `pending` (and `in_progress` on a deployment) as the work starts. */
  started(description: string): Promise<void>;
  /** `success` / `failure` (or `error` when the run broke) with counts in the description. */
  finished(state: 'success' | 'failure' | 'error', description: string): Promise<void>;
  /** The plan as the PR's one sticky comment, on pull-request events. */
  comment(body: string): Promise<void>;
}

export interface PublisherOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly event: ActionEvent;
  readonly token: string | undefined;
  readonly environment: string;
  /** The base URL: a deployment status's `environment_url`. */
  readonly baseUrl: string;
  readonly status: boolean;
  readonly comment: boolean;
  readonly log: Logger;
  /** The run's redactor: learns the token; GitHub's messages pass through it. */
  readonly redactor: Redactor;
}

/**
 * Builds the publisher for this run. Statuses are set on push, workflow_dispatch and deployment
 * events when `status` is on; the comment on pull-request events when `comment` is on. GitHub
 * failing to take a status or a comment (a fork's read-only token: 403) is a warning, never the
 * step's failure: the deploy's own result decides that.
 */
export function githubPublisher(options: PublisherOptions): GitHubPublisher {
  const { event, log, redactor } = options;
  const wantStatus = options.status && STATUS_EVENTS.has(event.name);
  const wantComment = options.comment && PULL_REQUEST_EVENTS.has(event.name);
  const github = wantStatus || wantComment ? connect(options) : undefined;
  const guard = async (what: string, work: (client: Connected) => Promise<unknown>) => {
    if (github === undefined) return;
    try {
      await work(github);
    } catch (error) {
      log.warn(`could not ${what}: ${formatError(error, redactor).text.replace(/^error: /, '')}`);
    }
  };
  const context = `edgepurge/${options.environment}`;
  const setStatus = (state: 'pending' | 'success' | 'failure' | 'error', description: string) =>
    guard(`set the commit status ${context}`, async ({ octokit, repo }) => {
      if (repo.sha === undefined) return log.warn('GITHUB_SHA is not set: no commit status');
      await setCommitStatus(octokit, {
        owner: repo.owner,
        repo: repo.repo,
        sha: repo.sha,
        environment: options.environment,
        state,
        description,
        ...(repo.runUrl === undefined ? {} : { targetUrl: repo.runUrl }),
        log,
        redactor,
      });
    });
  const setDeployment = (
    state: 'in_progress' | 'success' | 'failure' | 'error',
    description: string,
  ) =>
    guard('set the deployment status', async ({ octokit, repo }) => {
      if (event.deploymentId === undefined) return;
      await setDeploymentStatus(octokit, {
        owner: repo.owner,
        repo: repo.repo,
        deploymentId: event.deploymentId,
        state,
        environment: options.environment,
        environmentUrl: options.baseUrl,
        ...(repo.runUrl === undefined ? {} : { logUrl: repo.runUrl }),
        description,
        log,
        redactor,
      });
    });
  return {
    async started(description) {
      if (!wantStatus) return;
      await setStatus('pending', description);
      await setDeployment('in_progress', description);
    },
    async finished(state, description) {
      if (!wantStatus) return;
      await setStatus(state, description);
      await setDeployment(state, description);
    },
    async comment(body) {
      if (!wantComment) return;
      await guard('comment on the pull request', async ({ octokit, repo }) => {
        if (event.pullRequest === undefined)
          return log.warn('the event payload names no pull request: no plan comment');
        const result = await upsertPlanComment(octokit, {
          owner: repo.owner,
          repo: repo.repo,
          issueNumber: event.pullRequest,
          environment: options.environment,
          body,
          log,
          redactor,
        });
        log.info(
          `plan comment: ${result.action}${result.url === undefined ? '' : ` ${result.url}`}`,
        );
      });
    },
  };
}

interface Connected {
  readonly octokit: GitHubClient;
  readonly repo: RepoContext;
}

function connect(options: PublisherOptions): Connected | undefined {
  try {
    const repo = readRepoContext(options.env, {
      token: options.token,
      reason: 'a commit status or PR comment',
      redactor: options.redactor,
    });
    return {
      repo,
      octokit: createOctokit({
        token: repo.token,
        baseUrl: repo.apiUrl,
        log: options.log,
        redactor: options.redactor,
      }),
    };
  } catch (error) {
    options.log.warn(formatError(error, options.redactor).text.replace(/^error: /, ''));
    return undefined;
  }
}
