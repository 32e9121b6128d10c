/**
 * The GitHub port, for the Action and library users. Loading it loads Octokit: the CLI must not
 * import this file; it imports `open-baseline-store.ts`, which loads Octokit only for a
 * `github:` baseline.
 */

export { gitHubStatus, toGitHubError } from './github-error.ts';
export { type CreateOctokitOptions, createOctokit, type GitHubClient } from './octokit.ts';
export {
  type BaselineConfig,
  type OpenBaselineStoreOptions,
  openBaselineStore,
} from './open-baseline-store.ts';
export {
  commentBody,
  MAX_COMMENT_LENGTH,
  type PlanCommentOptions,
  type PlanCommentResult,
  planCommentMarker,
  upsertPlanComment,
} from './pr-comment.ts';
export { type ReadRepoContextOptions, type RepoContext, readRepoContext } from './repo-context.ts';
export { createStateBranchStore, type StateBranchStoreOptions } from './state-branch-store.ts';
export {
  type CommitStatusOptions,
  cutDescription,
  type DeploymentStatusOptions,
  MAX_STATUS_DESCRIPTION,
  setCommitStatus,
  setDeploymentStatus,
  statusContext,
} from './statuses.ts';
