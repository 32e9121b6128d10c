import type { FakeComment, FakeGitHubState, FakeIdentity } from './fake-github.ts';
import type { FakeAnswer } from './fake-http.ts';

/** What a route handler gets: a request already checked against GitHub's description. */
export interface RouteContext {
  readonly state: FakeGitHubState;
  readonly identity: FakeIdentity;
  readonly path: Record<string, string>;
  readonly query: Record<string, string>;
  readonly body: unknown;
  /** `http://HOST/api/v3`, for URLs in answers and the Link header. */
  readonly origin: string;
  readonly pathname: string;
}

export interface Route {
  readonly method: string;
  readonly template: string;
  readonly handle: (context: RouteContext) => FakeAnswer;
}

const DOCS = 'https://docs.github.com/rest';

/** A GitHub error body: `{ message, documentation_url }` (and `errors` for a 422). */
export function gitHubError(
  status: number,
  message: string,
  extra: { errors?: unknown[]; headers?: Record<string, string>; docs?: string } = {},
): FakeAnswer {
  return {
    status,
    ...(extra.headers === undefined ? {} : { headers: extra.headers }),
    body: {
      message,
      documentation_url: extra.docs ?? DOCS,
      ...(extra.errors === undefined ? {} : { errors: extra.errors }),
    },
  };
}

export type Body = Record<string, unknown>;

export const ok = (
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): FakeAnswer => ({
  status,
  body,
  ...(headers === undefined ? {} : { headers }),
});

export const notFound = (docs: string): FakeAnswer => gitHubError(404, 'Not Found', { docs });

export function validationFailed(resource: string, field: string, message: string): FakeAnswer {
  return gitHubError(422, 'Validation Failed', {
    errors: [{ resource, code: 'custom', field, message }],
  });
}

function commentJson(context: RouteContext, comment: FakeComment): Body {
  const { owner, repo } = context.state;
  return {
    id: comment.id,
    node_id: `IC_${comment.id}`,
    url: `${context.origin}/repos/${owner}/${repo}/issues/comments/${comment.id}`,
    html_url: `https://github.com/${owner}/${repo}/pull/${comment.issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${context.origin}/repos/${owner}/${repo}/issues/${comment.issueNumber}`,
    body: comment.body,
    user: { login: comment.user.login, id: 1, type: comment.user.type },
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    author_association: comment.user.type === 'Bot' ? 'NONE' : 'MEMBER',
  };
}

// GitHub answers 422 for a comment body over 65,536 characters.
const MAX_COMMENT = 65_536;
// ... and for a status description over 140.
const MAX_DESCRIPTION = 140;

export const fakeGitHubRoutes: readonly Route[] = [
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}',
    handle: ({ state }) =>
      ok(200, {
        id: 1,
        name: state.repo,
        full_name: `${state.owner}/${state.repo}`,
        owner: { login: state.owner, type: 'Organization' },
        private: true,
        default_branch: 'main',
      }),
  },
  {
    method: 'GET',
    template: '/user',
    handle: ({ identity }) =>
      identity.installation
        ? gitHubError(403, 'Resource not accessible by integration', {
            docs: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
          })
        : ok(200, { login: identity.login, id: 7, type: identity.type }),
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/statuses/{sha}',
    handle: ({ state, path, body }) => {
      const b = body as Body;
      if (typeof b.description === 'string' && b.description.length > MAX_DESCRIPTION) {
        return validationFailed(
          'Status',
          'description',
          'description is too long (maximum is 140 characters)',
        );
      }
      const status = {
        sha: path.sha as string,
        state: b.state as string,
        context: typeof b.context === 'string' ? b.context : 'default',
        description: (b.description as string | null | undefined) ?? null,
        target_url: (b.target_url as string | null | undefined) ?? null,
      };
      state.statuses.push(status);
      return ok(201, { id: state.nextId(), ...status, created_at: new Date().toISOString() });
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
    handle: ({ state, path, body }) => {
      const b = body as Body;
      if (typeof b.description === 'string' && b.description.length > MAX_DESCRIPTION) {
        return validationFailed(
          'DeploymentStatus',
          'description',
          'description is too long (maximum is 140 characters)',
        );
      }
      const status = { deploymentId: Number(path.deployment_id), ...(b as object) } as never;
      state.deploymentStatuses.push(status);
      return ok(201, { id: state.nextId(), ...b, created_at: new Date().toISOString() });
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
    handle: (context) => {
      const issue = Number(context.path.issue_number);
      const all = context.state.comments.filter((comment) => comment.issueNumber === issue);
      const perPage = Math.min(Number(context.query.per_page ?? 30), 100);
      const page = Math.max(Number(context.query.page ?? 1), 1);
      const last = Math.max(Math.ceil(all.length / perPage), 1);
      const slice = all.slice((page - 1) * perPage, page * perPage);
      // docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api
      const link = (n: number, rel: string): string =>
        `<${context.origin}${context.pathname}?per_page=${perPage}&page=${n}>; rel="${rel}"`;
      const links = [
        ...(page > 1 ? [link(page - 1, 'prev'), link(1, 'first')] : []),
        ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
      ];
      return ok(
        200,
        slice.map((comment) => commentJson(context, comment)),
        links.length === 0 ? undefined : { link: links.join(', ') },
      );
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
    handle: (context) => {
      const text = (context.body as Body).body as string;
      if (text.length > MAX_COMMENT) {
        return validationFailed(
          'IssueComment',
          'body',
          'Body is too long (maximum is 65536 characters)',
        );
      }
      const now = new Date().toISOString();
      const comment: FakeComment = {
        id: context.state.nextId(),
        issueNumber: Number(context.path.issue_number),
        body: text,
        user: { login: context.identity.login, type: context.identity.type },
        createdAt: now,
        updatedAt: now,
        edits: 0,
      };
      context.state.comments.push(comment);
      return ok(201, commentJson(context, comment));
    },
  },
  {
    method: 'PATCH',
    template: '/repos/{owner}/{repo}/issues/comments/{comment_id}',
    handle: (context) => {
      const comment = context.state.comments.find((c) => c.id === Number(context.path.comment_id));
      if (comment === undefined)
        return notFound('https://docs.github.com/rest/issues/comments#update-an-issue-comment');
      const text = (context.body as Body).body as string;
      if (text.length > MAX_COMMENT) {
        return validationFailed(
          'IssueComment',
          'body',
          'Body is too long (maximum is 65536 characters)',
        );
      }
      comment.body = text;
      comment.updatedAt = new Date().toISOString();
      comment.edits += 1;
      return ok(200, commentJson(context, comment));
    },
  },
];
