import type { Logger } from '../log.ts';
import {
  type BaselineStore,
  fileBaselineStore,
  stateBranchOf,
} from '../pipeline/baseline-store.ts';
import type { Redactor } from '../redact.ts';

export interface BaselineConfig {
  /** Where the last verified manifest is read: a file path, `github:` or `github:BRANCH`. */
  readonly baseline: string;
  /** Where the verified manifest is saved: a file path, `github:` or `github:BRANCH`. */
  readonly saveBaseline: string;
  /** The environment whose baseline this is (the folder on the state branch). */
  readonly environment: string;
}

export interface OpenBaselineStoreOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
  /** A token passed otherwise (the Action's `github-token` input); default GITHUB_TOKEN. */
  readonly token?: string;
  /** The run's redactor: it learns the token, and GitHub's messages pass through it. */
  readonly redactor?: Redactor;
  /** The transport and back-off of the GitHub client, for tests. */
  readonly fetch?: typeof fetch;
  readonly minRetryMs?: number;
  readonly writeSpacingMs?: number;
}

/**
 * The baseline store a config names: plain files when neither `baseline` nor `saveBaseline` is
 * `github:` (no GitHub code is loaded then), else the state-branch store, built from
 * GITHUB_REPOSITORY / GITHUB_TOKEN / GITHUB_API_URL. When both name the same branch they share
 * one store, so the compare-and-swap of the write sees the tip the read saw. Throws InputError
 * (exit 2) naming GITHUB_TOKEN or GITHUB_REPOSITORY when one is missing.
 */
export async function openBaselineStore(
  config: BaselineConfig,
  options: OpenBaselineStoreOptions,
): Promise<BaselineStore> {
  const readBranch = stateBranchOf(config.baseline);
  const saveBranch = stateBranchOf(config.saveBaseline);
  if (readBranch === undefined && saveBranch === undefined) {
    return fileBaselineStore(config.baseline, config.saveBaseline);
  }
  // Loaded only for a `github:` baseline: Octokit and its plugins cost start-up time.
  const [{ readRepoContext }, { createOctokit }, { createStateBranchStore }] = await Promise.all([
    import('./repo-context.ts'),
    import('./octokit.ts'),
    import('./state-branch-store.ts'),
  ]);
  const spec = readBranch === undefined ? config.saveBaseline : config.baseline;
  const context = readRepoContext(options.env, {
    ...(options.token === undefined ? {} : { token: options.token }),
    reason: `baseline "${spec}"`,
    ...(options.redactor === undefined ? {} : { redactor: options.redactor }),
  });
  const octokit = createOctokit({
    token: context.token,
    baseUrl: context.apiUrl,
    log: options.log,
    ...(options.redactor === undefined ? {} : { redactor: options.redactor }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.minRetryMs === undefined ? {} : { minRetryMs: options.minRetryMs }),
    ...(options.writeSpacingMs === undefined ? {} : { writeSpacingMs: options.writeSpacingMs }),
  });
  const stateStore = (branch: string): BaselineStore =>
    createStateBranchStore({
      octokit,
      owner: context.owner,
      repo: context.repo,
      branch,
      environment: config.environment,
      log: options.log,
      ...(options.redactor === undefined ? {} : { redactor: options.redactor }),
      ...(context.sha === undefined ? {} : { revision: context.sha }),
    });
  if (readBranch !== undefined && readBranch === saveBranch) return stateStore(readBranch);
  const reader =
    readBranch === undefined ? fileBaselineStore(config.baseline) : stateStore(readBranch);
  const writer =
    saveBranch === undefined ? fileBaselineStore(config.saveBaseline) : stateStore(saveBranch);
  return {
    location: `${reader.location}, saved to ${writer.location}`,
    read: (signal) => reader.read(signal),
    write: (manifest, signal) => writer.write(manifest, signal),
  };
}
