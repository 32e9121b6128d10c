import { GitObjects } from './fake-github-git.ts';
import { fakeGitRoutes } from './fake-github-git-routes.ts';
import { fakeGitHubRoutes, gitHubError, type RouteContext } from './fake-github-routes.ts';
import { type SpecOperation, specOperation } from './fake-github-spec.ts';
import {
  type FakeAnswer,
  type FakeRequest,
  type FakeServer,
  startFakeServer,
} from './fake-http.ts';

/** The installation token the fake accepts by default (posts as `github-actions[bot]`). */
export const FAKE_GITHUB_TOKEN = 'ghs_fakeInstallationToken000000000000';

/** Who a token is: an installation token posts as a Bot and may not call GET /user. */
export interface FakeIdentity {
  readonly login: string;
  readonly type: 'Bot' | 'User';
  readonly installation: boolean;
}

export const ACTIONS_BOT: FakeIdentity = {
  login: 'github-actions[bot]',
  type: 'Bot',
  installation: true,
};

export { gitHubError };

export interface FakeGitHubOptions {
  readonly owner?: string;
  readonly repo?: string;
  /** Accepted tokens and who they are; default FAKE_GITHUB_TOKEN as github-actions[bot]. */
  readonly tokens?: Readonly<Record<string, FakeIdentity>>;
}

export interface FakeComment {
  readonly id: number;
  readonly issueNumber: number;
  body: string;
  readonly user: { readonly login: string; readonly type: 'Bot' | 'User' };
  readonly createdAt: string;
  updatedAt: string;
  /** How many times the comment was edited through the API. */
  edits: number;
}

export interface FakeStatus {
  readonly sha: string;
  readonly state: string;
  readonly context: string;
  readonly description?: string | null;
  readonly target_url?: string | null;
}

export interface FakeDeploymentStatus {
  readonly deploymentId: number;
  readonly state: string;
  readonly environment?: string;
  readonly environment_url?: string;
  readonly log_url?: string;
  readonly description?: string;
}

/** The repository's state, in memory, for tests to seed and inspect. */
export interface FakeGitHubState {
  readonly owner: string;
  readonly repo: string;
  readonly statuses: FakeStatus[];
  readonly deploymentStatuses: FakeDeploymentStatus[];
  readonly comments: FakeComment[];
  /** `refs/heads/NAME` → commit sha. */
  readonly refs: Map<string, string>;
  readonly git: GitObjects;
  /** A repository without a commit: the Git Data API answers 409 "Git Repository is empty.". */
  empty: boolean;
  nextId(): number;
}

export interface FakeGitHub extends FakeGitHubState {
  /** GITHUB_API_URL of the fake: a GitHub Enterprise Server style `http://127.0.0.1:PORT/api/v3`. */
  readonly url: string;
  readonly server: FakeServer;
  /** Requests that GitHub's REST description refuses (the fake answered 422/404). */
  readonly violations: string[];
  /** Adds a comment as `user` posted it (no request, no validation). */
  seedComment(issueNumber: number, body: string, user: FakeComment['user']): FakeComment;
  /** The requests matching `match` get `answers`, one each, before the API answers again. */
  injectFaults(match: (request: FakeRequest) => boolean, answers: readonly FakeAnswer[]): void;
  /**
   * The requests matching `match` are carried out, then answered with `answers` instead (a
   * write that landed but whose answer was lost: a reset, a 502 from a proxy).
   */
  injectFaultsAfter(match: (request: FakeRequest) => boolean, answers: readonly FakeAnswer[]): void;
  /** The text of `path` at the tip of `branch`, or undefined. */
  fileOnBranch(branch: string, path: string): string | undefined;
  /** The bytes of a file at the tip of a branch (a gzip file, say); undefined when absent. */
  bytesOnBranch(branch: string, path: string): Buffer | undefined;
  close(): Promise<void>;
}

const API_PREFIX = '/api/v3';
/** The answers GitHub gives when things go wrong, to inject on cue. */
export const githubFaults = {
  badCredentials: (): FakeAnswer => gitHubError(401, 'Bad credentials'),
  /** A token that may not write here, like a fork's pull request's GITHUB_TOKEN. */
  forbidden: (): FakeAnswer => gitHubError(403, 'Resource not accessible by integration'),
  /** docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit */
  secondaryRateLimit: (retryAfterSeconds = 1): FakeAnswer =>
    gitHubError(
      403,
      'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000:0000:0000.',
      {
        headers: { 'retry-after': String(retryAfterSeconds) },
        docs: 'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      },
    ),
  primaryRateLimit: (resetEpochSeconds = Math.floor(Date.now() / 1000)): FakeAnswer =>
    gitHubError(403, 'API rate limit exceeded for installation ID 1.', {
      headers: {
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-used': '5000',
        'x-ratelimit-reset': String(resetEpochSeconds),
      },
      docs: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
    }),
  serverError: (status = 502): FakeAnswer =>
    status === 502 ? { status, body: 'Bad Gateway' } : gitHubError(status, 'Server Error'),
  /** The connection is dropped without an answer. */
  reset: (): FakeAnswer => ({ drop: true }),
};

interface CompiledRoute {
  readonly operation: SpecOperation;
  readonly pattern: RegExp;
  readonly handle: (context: RouteContext) => FakeAnswer;
}

/**
 * A loopback GitHub REST API built from GitHub's published description: each request is
 * matched to a documented operation and its path, query and body are validated against that
 * operation's schemas (a mismatch is recorded in `violations` and answered 422, as GitHub
 * answers an invalid request). Serves repos, statuses, issue comments (paginated with a real
 * `Link` header), deployment statuses and the Git Data API (refs, commits, trees, blobs) with
 * GitHub's refusals (missing ref 404, existing ref and non-fast-forward 422). Faults through
 * `injectFaults` or `server.faults`.
 */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const tokens = options.tokens ?? { [FAKE_GITHUB_TOKEN]: ACTIONS_BOT };
  let ids = 1000;
  const state: FakeGitHubState = {
    owner: options.owner ?? 'acme',
    repo: options.repo ?? 'site',
    statuses: [],
    deploymentStatuses: [],
    comments: [],
    refs: new Map(),
    git: new GitObjects(),
    empty: false,
    nextId: () => ++ids,
  };
  const violations: string[] = [];
  const routes: CompiledRoute[] = [...fakeGitHubRoutes, ...fakeGitRoutes].map((route) => {
    const operation = specOperation(route.method, route.template);
    const source = route.template
      .split(/(\{[^}]+\})/)
      .map((part) => {
        const name = /^\{(.+)\}$/.exec(part)?.[1];
        if (name === undefined) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
        const multi = operation.pathParams.find((p) => p.name === name)?.multiSegment === true;
        return multi ? '(.+)' : '([^/]+)';
      })
      .join('');
    return { operation, pattern: new RegExp(`^${source}$`), handle: route.handle };
  });
  type Queue = { match: (request: FakeRequest) => boolean; answers: FakeAnswer[] }[];
  const faultQueue: Queue = [];
  const afterQueue: Queue = [];
  const take = (queue: Queue, request: FakeRequest): FakeAnswer | undefined =>
    queue.find((item) => item.answers.length > 0 && item.match(request))?.answers.shift();

  const refuse = (request: FakeRequest, problem: string, answer: FakeAnswer): FakeAnswer => {
    violations.push(`${request.method} ${request.url}: ${problem}`);
    return answer;
  };

  const handle = (request: FakeRequest): FakeAnswer => {
    const answer = answerRequest(request);
    return take(afterQueue, request) ?? answer;
  };

  const answerRequest = (request: FakeRequest): FakeAnswer => {
    const url = new URL(request.url, 'http://fake.invalid');
    if (!url.pathname.startsWith(`${API_PREFIX}/`)) {
      return refuse(request, `not under ${API_PREFIX}`, gitHubError(404, 'Not Found'));
    }
    const auth = /^(?:token|bearer) (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const identity = auth === undefined ? undefined : tokens[auth];
    if (identity === undefined) return gitHubError(401, 'Bad credentials');
    const pathname = url.pathname.slice(API_PREFIX.length);
    for (const route of routes) {
      if (route.operation.method !== request.method) continue;
      const match = route.pattern.exec(pathname);
      if (match === null) continue;
      const path = Object.fromEntries(
        route.operation.pathParams.map((param, index) => [
          param.name,
          decodeURIComponent(match[index + 1] ?? ''),
        ]),
      );
      const query = Object.fromEntries(url.searchParams);
      let body: unknown;
      if (request.body !== '') {
        try {
          body = JSON.parse(request.body);
        } catch {
          return refuse(request, 'body is not JSON', gitHubError(400, 'Problems parsing JSON'));
        }
      }
      const problems = route.operation.check({ path, query, body });
      if (problems.length > 0) {
        return refuse(
          request,
          `${route.operation.operationId}: ${problems.join('; ')}`,
          gitHubError(422, `Invalid request.\n\n${problems.join('\n')}`),
        );
      }
      if (
        path.owner !== undefined &&
        (path.owner.toLowerCase() !== state.owner.toLowerCase() ||
          path.repo?.toLowerCase() !== state.repo.toLowerCase())
      ) {
        return gitHubError(404, 'Not Found', {
          docs: 'https://docs.github.com/rest/repos/repos#get-a-repository',
        });
      }
      if (state.empty && pathname.includes('/git/')) {
        return gitHubError(409, 'Git Repository is empty.', {
          docs: 'https://docs.github.com/rest/git/refs#get-a-reference',
        });
      }
      const origin = `http://${request.headers.host ?? 'fake.invalid'}${API_PREFIX}`;
      return route.handle({ state, identity, path, query, body, origin, pathname });
    }
    return refuse(
      request,
      'no operation of the fake matches (not served, or not in the description)',
      gitHubError(404, 'Not Found'),
    );
  };

  const server = await startFakeServer(handle);
  server.faults = (request) => take(faultQueue, request);
  return Object.assign(state, {
    url: `${server.url}${API_PREFIX}`,
    server,
    violations,
    seedComment: (issueNumber: number, body: string, user: FakeComment['user']) => {
      const now = new Date().toISOString();
      const comment: FakeComment = {
        id: state.nextId(),
        issueNumber,
        body,
        user,
        createdAt: now,
        updatedAt: now,
        edits: 0,
      };
      state.comments.push(comment);
      return comment;
    },
    injectFaults: (match: (request: FakeRequest) => boolean, answers: readonly FakeAnswer[]) => {
      faultQueue.push({ match, answers: [...answers] });
    },
    injectFaultsAfter: (
      match: (request: FakeRequest) => boolean,
      answers: readonly FakeAnswer[],
    ) => {
      afterQueue.push({ match, answers: [...answers] });
    },
    fileOnBranch: (branch: string, path: string) => {
      const tip = state.refs.get(`refs/heads/${branch}`);
      return tip === undefined ? undefined : state.git.fileAt(tip, path);
    },
    bytesOnBranch: (branch: string, path: string) => {
      const tip = state.refs.get(`refs/heads/${branch}`);
      return tip === undefined ? undefined : state.git.bytesAt(tip, path);
    },
    close: () => server.close(),
  });
}
