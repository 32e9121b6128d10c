import { createHash } from 'node:crypto';
import { InputError, JobError } from '../errors.ts';
import { type Logger, silentLogger } from '../log.ts';
import { hashFileLines } from '../manifest/hash-file-lines.ts';
import { isSafeRelativePath } from '../manifest/manifest.ts';
import type { PackedManifest } from '../manifest/packed-manifest.ts';
import { parsePackedManifest } from '../manifest/read-manifest-stream.ts';
import type { BaselineStore } from '../pipeline/baseline-store.ts';
import type { Redactor } from '../redact.ts';
import { gitHubStatus, toGitHubError } from './github-error.ts';
import { gunzipManifest, gzipManifest } from './manifest-gzip.ts';
import type { GitHubClient } from './octokit.ts';

export interface StateBranchStoreOptions {
  readonly octokit: GitHubClient;
  readonly owner: string;
  readonly repo: string;
  /** The state branch, `edgepurge-state` by default (`github:BRANCH`). */
  readonly branch: string;
  /** Names the folder of the branch that holds this environment's manifest. */
  readonly environment: string;
  readonly log?: Logger;
  /** The run's redactor: GitHub's error messages pass through it. */
  readonly redactor?: Redactor;
  /** The commit deployed (`GITHUB_SHA`), named in the state commit's message. */
  readonly revision?: string;
  /** The largest gzipped baseline saved; MAX_STATE_BLOB_BYTES (GitHub's limit) by default. */
  readonly maxBlobBytes?: number;
}

/** The branch tip a read saw: the commit, and its tree (the base of the next tree). */
interface Tip {
  readonly commit: string;
  readonly tree: string;
}

/**
 * The largest blob saved: GitHub refuses files over 100 MB in a repository ("You will not be
 * allowed to push files larger than 100 MB", help.github.com/articles/working-with-large-files)
 * and reads blobs through the Git Data API "up to 100 megabytes in size"
 * (docs.github.com/rest/git/blobs#get-a-blob). Counted in decimal megabytes, the stricter reading.
 */
export const MAX_STATE_BLOB_BYTES = 100 * 1000 * 1000;

// Non-forced ref updates that lost a race: GitHub answers 422 with these messages
// (docs.github.com/en/rest/git/refs#update-a-reference, "Update is not a fast forward";
// #create-a-reference, "Reference already exists").
const RACE_MESSAGE = /not a fast forward|reference already exists/i;

/**
 * The baseline of each environment kept on an orphan branch of the repository, gzip-compressed
 * at `<environment>/manifest.json.gz`, through the Git Data API (blobs are read and written
 * whole up to 100 MB: a 1,000,000-file manifest is ~223 MB of JSON but ~48 MB gzipped; the
 * Contents API stops reading at 1 MB). Branches written before compression hold
 * `<environment>/manifest.json`: it is still read, the `.gz` winning when both exist, and the
 * next save replaces it with the `.gz` (deleting the plain file in the same commit).
 *
 * Compare-and-swap: `read` records the tip it saw; `write` commits on top of that tip (no
 * parent when there was no branch) and moves the branch with a non-forced update, or creates
 * it. When another deploy moved the tip meanwhile, GitHub refuses (422) and `write` throws
 * JobError `E_BASELINE_RACE`, the branch unchanged: the stored baseline is always one whole
 * manifest.
 */
export function createStateBranchStore(options: StateBranchStoreOptions): BaselineStore {
  const { octokit, owner, repo, branch, environment } = options;
  const log = options.log ?? silentLogger;
  if (!isSafeRelativePath(environment)) {
    throw new InputError(
      'E_CONFIG',
      `environment ${JSON.stringify(environment)} cannot name a folder of the state branch`,
      {
        at: 'environment',
        hint: 'use a plain name such as production or staging',
      },
    );
  }
  const plainPath = `${environment}/manifest.json`;
  const path = `${plainPath}.gz`;
  const location = `github:${branch} (${environment})`;
  const repository = `${owner}/${repo}`;
  const where = `${path} on branch ${branch} of ${repository}`;
  // Undefined until a read: then the tip seen, or null when the branch did not exist.
  let seen: Tip | null | undefined;
  // The blob of this environment's manifest at that tip: a save of the same bytes is skipped.
  let storedBlob: string | undefined;
  // Whether that tip still held the uncompressed manifest.json (deleted by the next save).
  let storedPlain = false;

  const call = async <T>(doing: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw toGitHubError(error, {
        doing,
        repository,
        permission: 'contents: write',
        redactor: options.redactor,
      });
    }
  };

  /** The commit the branch points at; undefined when the branch does not exist. */
  const refSha = (signal?: AbortSignal): Promise<string | undefined> =>
    call(`reading branch ${branch} of ${repository}`, async () => {
      try {
        const answer = await octokit.rest.git.getRef({
          owner,
          repo,
          ref: `heads/${branch}`,
          request: { signal },
        });
        return answer.data.object.sha;
      } catch (error) {
        if (gitHubStatus(error) === 404) return undefined;
        throw error;
      }
    });

  const readTip = async (signal?: AbortSignal): Promise<Tip | null> => {
    const sha = await refSha(signal);
    if (sha === undefined) {
      // A missing branch is a first deploy, but GitHub answers 404 for a repository that does
      // not exist (or that the token cannot see) too: make sure the repository is there.
      await call(`reading repository ${repository}`, () =>
        octokit.rest.repos.get({ owner, repo, request: { signal } }),
      );
      return null;
    }
    const commit = await call(`reading the tip of ${branch}`, () =>
      octokit.rest.git.getCommit({ owner, repo, commit_sha: sha, request: { signal } }),
    );
    return { commit: commit.data.sha, tree: commit.data.tree.sha };
  };

  const read = async (signal?: AbortSignal): Promise<PackedManifest | undefined> => {
    const tip = await readTip(signal);
    seen = tip;
    if (tip === null) {
      log.info(`no baseline yet: branch ${branch} does not exist in ${repository} (first deploy)`);
      return undefined;
    }
    const tree = await call(`listing branch ${branch}`, () =>
      octokit.rest.git.getTree({
        owner,
        repo,
        tree_sha: tip.tree,
        recursive: 'true',
        request: { signal },
      }),
    );
    const blobAt = (at: string) =>
      tree.data.tree.find((entry) => entry.path === at && entry.type === 'blob')?.sha;
    const gz = blobAt(path);
    const plain = blobAt(plainPath);
    storedPlain = plain !== undefined;
    // The compressed file is the one this build writes: it wins over a plain one left beside it.
    const sha = gz ?? plain;
    storedBlob = gz;
    if (sha === undefined) {
      log.info(`no baseline yet: ${where} does not exist (first deploy of ${environment})`);
      return undefined;
    }
    const readFrom = gz === undefined ? `${plainPath} on branch ${branch} of ${repository}` : where;
    const blob = await call(`reading ${readFrom}`, () =>
      octokit.rest.git.getBlob({ owner, repo, file_sha: sha, request: { signal } }),
    );
    const bytes = Buffer.from(
      blob.data.content,
      blob.data.encoding === 'base64' ? 'base64' : 'utf8',
    );
    if (gz === undefined) {
      return parsePackedManifest(bytes, `github:${branch}:${plainPath}`);
    }
    return gunzipManifest(bytes, `github:${branch}:${path}`, undefined, signal);
  };

  const write = async (manifest: PackedManifest, signal?: AbortSignal): Promise<void> => {
    // Compare-and-swap against the tip `read` saw; a store that was never read swaps against
    // the tip of now.
    const bytes = await gzipManifest(manifest);
    // A deploy that changed nothing (the same files, the same mtimes) makes no commit: the
    // stored blob already holds these bytes (git names a blob by the SHA-1 of its content;
    // gzip output carries no timestamp, so equal manifests compress to equal bytes).
    if (storedBlob !== undefined && storedBlob === gitBlobSha(bytes)) {
      log.info(`baseline unchanged: ${where} already holds this release`);
      return;
    }
    const maxBytes = options.maxBlobBytes ?? MAX_STATE_BLOB_BYTES;
    if (bytes.length > maxBytes) {
      throw new InputError(
        'E_BASELINE_TOO_LARGE',
        `the ${environment} baseline is ${bytes.length} bytes gzipped (${manifest.files.count} files), over the ${maxBytes} bytes GitHub takes in one file; nothing was written to branch ${branch} of ${repository}`,
        {
          at: 'saveBaseline',
          hint: 'keep this baseline in a file instead (`saveBaseline: path/to/baseline.json`, carried between runs with actions/cache or an artifact), or split the site into environments',
        },
      );
    }
    const base = seen === undefined ? await readTip(signal) : seen;
    const content = bytes.toString('base64');
    const doing = `saving ${where}`;
    const blob = await call(doing, () =>
      octokit.rest.git.createBlob({
        owner,
        repo,
        content,
        encoding: 'base64',
        request: { signal },
      }),
    );
    const tree = await call(doing, () =>
      octokit.rest.git.createTree({
        owner,
        repo,
        // Other environments' folders stay as they are in the base tree.
        ...(base === null ? {} : { base_tree: base.tree }),
        tree: [
          { path, mode: '100644', type: 'blob', sha: blob.data.sha },
          // The uncompressed file of an older edgepurge goes: one baseline per environment.
          ...(storedPlain
            ? [{ path: plainPath, mode: '100644' as const, type: 'blob' as const, sha: null }]
            : []),
        ],
        request: { signal },
      }),
    );
    const commit = await call(doing, () =>
      octokit.rest.git.createCommit({
        owner,
        repo,
        message: `edgepurge: ${environment} baseline for ${options.revision ?? releaseDigest(manifest)}`,
        tree: tree.data.sha,
        parents: base === null ? [] : [base.commit],
        request: { signal },
      }),
    );
    await call(doing, async () => {
      try {
        if (base === null) {
          await octokit.rest.git.createRef({
            owner,
            repo,
            ref: `refs/heads/${branch}`,
            sha: commit.data.sha,
            request: { signal },
          });
        } else {
          await octokit.rest.git.updateRef({
            owner,
            repo,
            ref: `heads/${branch}`,
            sha: commit.data.sha,
            force: false,
            request: { signal },
          });
        }
      } catch (error) {
        if (gitHubStatus(error) === 422 && RACE_MESSAGE.test((error as Error).message)) {
          // A retried request whose first attempt did land (the answer was lost) meets its own
          // ref: that is a success, not a race.
          if ((await refSha(signal)) === commit.data.sha) return;
          throw raceError(environment, branch, repository, error);
        }
        throw error;
      }
    });
    seen = { commit: commit.data.sha, tree: tree.data.sha };
    storedBlob = blob.data.sha;
    storedPlain = false;
    log.info(`saved the ${environment} baseline to ${where} (${commit.data.sha.slice(0, 7)})`);
  };

  return { location, read, write };
}

function raceError(
  environment: string,
  branch: string,
  repository: string,
  cause: unknown,
): JobError {
  return new JobError(
    'E_BASELINE_RACE',
    `another deploy of ${environment} saved a baseline to branch ${branch} of ${repository} since this one read it; nothing was written`,
    {
      cause,
      hint: 'run deploy again (it will diff against the newer baseline), and give the workflow a `concurrency:` group per environment so that deploys of one environment queue',
    },
  );
}

/** The id git gives a blob: SHA-1 of `blob <size>\0` and the bytes. */
function gitBlobSha(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** A short digest of the release (paths and content hashes), for the commit message. */
function releaseDigest(manifest: PackedManifest): string {
  const hash = createHash('sha256');
  // The packed paths are sorted by comparePaths already.
  hashFileLines(hash, manifest.files);
  return `release sha256:${hash.digest('hex').slice(0, 12)}`;
}
