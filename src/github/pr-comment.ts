import { isEdgepurgeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Redactor } from '../redact.ts';
import { gitHubStatus, toGitHubError } from './github-error.ts';
import type { GitHubClient } from './octokit.ts';

// GitHub refuses a comment body over 65,536 characters (422 "Body is too long (maximum is
// 65536 characters)"; docs.github.com/en/rest/issues/comments lists no limit, the error does).
export const MAX_COMMENT_LENGTH = 65_536;

export interface PlanCommentOptions {
  readonly owner: string;
  readonly repo: string;
  /** The pull request's number. */
  readonly issueNumber: number;
  /** One comment per pull request and environment. */
  readonly environment: string;
  /** The Markdown plan; the marker is added in front. */
  readonly body: string;
  readonly log: Logger;
  /**
   * The login the comment is posted as, when the caller knows it. Default: `GET /user` (a
   * personal token), or any Bot when that is refused (an installation token, like GITHUB_TOKEN).
   */
  readonly login?: string;
  /** The run's redactor: the warning of a refused comment passes through it. */
  readonly redactor?: Redactor;
}

export interface PlanCommentResult {
  readonly action: 'created' | 'updated' | 'unchanged' | 'skipped';
  /** The comment's page. */
  readonly url?: string;
}

/** The hidden marker that finds an environment's plan comment again. */
export function planCommentMarker(environment: string): string {
  // Encoded so that no environment name can close the HTML comment (`-->`).
  return `<!-- edgepurge:plan:${encodeURIComponent(environment)} -->`;
}

/**
 * Posts the plan as one comment on the pull request, or updates the one posted before: found
 * by its hidden marker **and** its author, across every page of comments. Never a duplicate;
 * never another user's comment that copied the marker.
 *
 * Who "we" are: `GET /user` answers a personal token with its login. An installation token
 * (the Actions GITHUB_TOKEN, a GitHub App's token) is refused there (403 "Resource not
 * accessible by integration"); such tokens post as a Bot (`github-actions[bot]`, `<app>[bot]`),
 * so then the comment must carry the marker and have been posted by a Bot (`user.type`), which a
 * person (type User) pasting the marker cannot imitate. Pass `login` to pin it exactly.
 *
 * A token that may not comment (a pull request from a fork gets a read-only token: 403) is a
 * warning and returns `skipped`; a wrong token, an unknown repository or GitHub down throws.
 */
export async function upsertPlanComment(
  octokit: GitHubClient,
  options: PlanCommentOptions,
): Promise<PlanCommentResult> {
  const { owner, repo, issueNumber, environment, log } = options;
  const marker = planCommentMarker(environment);
  const body = commentBody(marker, options.body, log);
  const where = `pull request #${issueNumber}`;
  try {
    const login = options.login ?? (await authenticatedLogin(octokit));
    const existing = await findComment(octokit, options, marker, login);
    if (existing === undefined) {
      const created = await octokit.rest.issues.createComment({
        owner,
        repo,
        issue_number: issueNumber,
        body,
      });
      log.info(`posted the ${environment} plan on ${where}: ${created.data.html_url}`);
      return { action: 'created', url: created.data.html_url };
    }
    if (existing.body === body) return { action: 'unchanged', url: existing.html_url };
    const updated = await octokit.rest.issues.updateComment({
      owner,
      repo,
      comment_id: existing.id,
      body,
    });
    log.info(`updated the ${environment} plan on ${where}: ${updated.data.html_url}`);
    return { action: 'updated', url: updated.data.html_url };
  } catch (error) {
    const mapped = toGitHubError(error, {
      doing: `commenting the ${environment} plan on ${where}`,
      repository: `${owner}/${repo}`,
      permission: 'pull-requests: write',
      redactor: options.redactor,
    });
    if (isEdgepurgeError(mapped) && mapped.code === 'E_GITHUB_FORBIDDEN') {
      const message = `not commenting the plan on ${where}: the token may not write there (a pull request from a fork gets a read-only token; else give the job \`permissions: pull-requests: write\`): ${mapped.message}`;
      log.warn(options.redactor?.redact(message) ?? message);
      return { action: 'skipped' };
    }
    throw mapped;
  }
}

/** The login of a personal token; undefined for an installation token, which GET /user refuses. */
async function authenticatedLogin(octokit: GitHubClient): Promise<string | undefined> {
  try {
    return (await octokit.rest.users.getAuthenticated()).data.login;
  } catch (error) {
    if (gitHubStatus(error) === 403 || gitHubStatus(error) === 404) return undefined;
    throw error;
  }
}

interface FoundComment {
  readonly id: number;
  readonly body: string | undefined;
  readonly html_url: string;
}

async function findComment(
  octokit: GitHubClient,
  options: PlanCommentOptions,
  marker: string,
  login: string | undefined,
): Promise<FoundComment | undefined> {
  const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
    owner: options.owner,
    repo: options.repo,
    issue_number: options.issueNumber,
    per_page: 100,
  });
  for await (const page of pages) {
    for (const comment of page.data) {
      if (comment.body?.includes(marker) !== true) continue;
      const author = comment.user;
      const ours = login === undefined ? author?.type === 'Bot' : author?.login === login;
      if (ours) return { id: comment.id, body: comment.body, html_url: comment.html_url };
    }
  }
  return undefined;
}

/**
 * The marker, then the plan; a body over GitHub's limit is cut at a line, an open code fence is
 * closed, and a note says it was cut. Pure but for the warning.
 */
export function commentBody(marker: string, plan: string, log?: Logger): string {
  const full = `${marker}\n${plan}`;
  if (full.length <= MAX_COMMENT_LENGTH) return full;
  const note = `\n\n---\n**This plan was cut:** it is ${full.length.toLocaleString('en-US')} characters, over GitHub's limit of 65,536 per comment. The whole plan is in the job summary and the \`json\` output.\n`;
  // Room for the note and a closing fence.
  let cut = full.slice(0, MAX_COMMENT_LENGTH - note.length - 5);
  const lastLine = cut.lastIndexOf('\n');
  if (lastLine > marker.length) cut = cut.slice(0, lastLine);
  // Never half of a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  const fences = cut.match(/^```/gm)?.length ?? 0;
  if (fences % 2 === 1) cut += '\n```';
  log?.warn(`the plan comment is ${full.length} characters; cut to GitHub's 65,536`);
  return `${cut}${note}`;
}
