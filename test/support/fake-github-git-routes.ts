import type { TreeChange } from './fake-github-git.ts';
import {
  type Body,
  gitHubError,
  notFound,
  ok,
  type Route,
  type RouteContext,
  validationFailed,
} from './fake-github-routes.ts';

const REFS_DOCS = 'https://docs.github.com/rest/git/refs';

function commitJson(context: RouteContext, sha: string): Body | undefined {
  const commit = context.state.git.get(sha, 'commit');
  if (commit === undefined) return undefined;
  const base = `${context.origin}/repos/${context.state.owner}/${context.state.repo}/git`;
  const person = {
    name: 'github-actions[bot]',
    email: 'bot@example.invalid',
    date: new Date().toISOString(),
  };
  return {
    sha,
    node_id: `C_${sha}`,
    url: `${base}/commits/${sha}`,
    html_url: `https://github.com/${context.state.owner}/${context.state.repo}/commit/${sha}`,
    author: person,
    committer: person,
    message: commit.message,
    tree: { sha: commit.tree, url: `${base}/trees/${commit.tree}` },
    parents: commit.parents.map((parent) => ({
      sha: parent,
      url: `${base}/commits/${parent}`,
      html_url: '',
    })),
    verification: {
      verified: false,
      reason: 'unsigned',
      signature: null,
      payload: null,
      verified_at: null,
    },
  };
}

function refJson(context: RouteContext, ref: string, sha: string): Body {
  const base = `${context.origin}/repos/${context.state.owner}/${context.state.repo}/git`;
  return {
    ref,
    node_id: `REF_${ref}`,
    url: `${base}/${ref}`,
    object: { type: 'commit', sha, url: `${base}/commits/${sha}` },
  };
}

/** The operations the fake serves; each must exist in GitHub's description. */

/**
 * The Git Data API of the fake: refs (a missing ref is 404; an existing one refused 422 on
 * create; a non-fast-forward refused 422 unless forced), commits, trees (`base_tree` and nested
 * paths) and blobs (base64 or utf-8, answered in base64 lines of 60 like GitHub).
 */
export const fakeGitRoutes: readonly Route[] = [
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/git/ref/{ref}',
    handle: (context) => {
      const ref = `refs/${context.path.ref}`;
      const sha = context.state.refs.get(ref);
      return sha === undefined
        ? notFound(`${REFS_DOCS}#get-a-reference`)
        : ok(200, refJson(context, ref, sha));
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/git/refs',
    handle: (context) => {
      const { ref, sha } = context.body as { ref: string; sha: string };
      if (!/^refs\/[^/]+\/.+/.test(ref)) {
        return gitHubError(422, 'Reference name is not valid', {
          docs: `${REFS_DOCS}#create-a-reference`,
        });
      }
      if (context.state.refs.has(ref)) {
        return gitHubError(422, 'Reference already exists', {
          docs: `${REFS_DOCS}#create-a-reference`,
        });
      }
      if (context.state.git.get(sha, 'commit') === undefined) {
        return gitHubError(422, 'Object does not exist', {
          docs: `${REFS_DOCS}#create-a-reference`,
        });
      }
      context.state.refs.set(ref, sha);
      return ok(201, refJson(context, ref, sha));
    },
  },
  {
    method: 'PATCH',
    template: '/repos/{owner}/{repo}/git/refs/{ref}',
    handle: (context) => {
      const ref = `refs/${context.path.ref}`;
      const { sha, force } = context.body as { sha: string; force?: boolean };
      const docs = `${REFS_DOCS}#update-a-reference`;
      const current = context.state.refs.get(ref);
      if (current === undefined) return gitHubError(422, 'Reference does not exist', { docs });
      if (context.state.git.get(sha, 'commit') === undefined) {
        return gitHubError(422, 'Object does not exist', { docs });
      }
      if (force !== true && !context.state.git.isAncestor(current, sha)) {
        return gitHubError(422, 'Update is not a fast forward', { docs });
      }
      context.state.refs.set(ref, sha);
      return ok(200, refJson(context, ref, sha));
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/git/commits/{commit_sha}',
    handle: (context) => {
      const json = commitJson(context, context.path.commit_sha as string);
      return json === undefined
        ? notFound('https://docs.github.com/rest/git/commits#get-a-commit-object')
        : ok(200, json);
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/git/commits',
    handle: (context) => {
      const b = context.body as { message: string; tree: string; parents?: string[] };
      const docs = 'https://docs.github.com/rest/git/commits#create-a-commit';
      if (context.state.git.get(b.tree, 'tree') === undefined) {
        return gitHubError(422, 'Tree SHA does not exist', { docs });
      }
      const parents = b.parents ?? [];
      if (parents.some((parent) => context.state.git.get(parent, 'commit') === undefined)) {
        return gitHubError(422, 'Parent SHA does not exist or is not a commit object', { docs });
      }
      const sha = context.state.git.putCommit(b.tree, parents, b.message);
      return ok(201, commitJson(context, sha));
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/git/trees/{tree_sha}',
    handle: (context) => {
      const sha = context.path.tree_sha as string;
      const tree = context.state.git.get(sha, 'tree');
      if (tree === undefined) return notFound('https://docs.github.com/rest/git/trees#get-a-tree');
      const base = `${context.origin}/repos/${context.state.owner}/${context.state.repo}/git`;
      // Any value of `recursive` lists the whole tree (the description says so).
      const items =
        context.query.recursive === undefined
          ? tree.entries.map((entry) => ({ path: entry.name, entry }))
          : context.state.git.walk(sha);
      return ok(200, {
        sha,
        url: `${base}/trees/${sha}`,
        truncated: false,
        tree: items.map(({ path, entry }) => ({
          path,
          mode: entry.mode,
          type: entry.type,
          sha: entry.sha,
          url: `${base}/${entry.type}s/${entry.sha}`,
          ...(entry.type === 'blob'
            ? { size: context.state.git.get(entry.sha, 'blob')?.content.length }
            : {}),
        })),
      });
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/git/trees',
    handle: (context) => {
      const b = context.body as { base_tree?: string; tree: (TreeChange & { content?: string })[] };
      const docs = 'https://docs.github.com/rest/git/trees#create-a-tree';
      if (b.base_tree !== undefined && context.state.git.get(b.base_tree, 'tree') === undefined) {
        return gitHubError(422, 'Invalid base_tree', { docs });
      }
      const changes: TreeChange[] = [];
      for (const item of b.tree) {
        const sha =
          item.content !== undefined
            ? context.state.git.putBlob(Buffer.from(item.content, 'utf8'))
            : item.sha;
        if (sha !== null && sha !== undefined && !context.state.git.objects.has(sha)) {
          return gitHubError(422, `GitRPC::BadObjectState: ${sha} is not a valid object`, { docs });
        }
        changes.push({ path: item.path, mode: item.mode, type: item.type, sha: sha ?? null });
      }
      const sha = context.state.git.applyTree(b.base_tree, changes);
      const base = `${context.origin}/repos/${context.state.owner}/${context.state.repo}/git`;
      return ok(201, {
        sha,
        url: `${base}/trees/${sha}`,
        truncated: false,
        tree: context.state.git
          .walk(sha)
          .filter((item) => !item.path.includes('/'))
          .map(({ path, entry }) => ({
            path,
            mode: entry.mode,
            type: entry.type,
            sha: entry.sha,
            url: `${base}/${entry.type}s/${entry.sha}`,
          })),
      });
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/git/blobs',
    handle: (context) => {
      const b = context.body as { content: string; encoding?: string };
      const encoding = b.encoding ?? 'utf-8';
      if (encoding !== 'utf-8' && encoding !== 'base64') {
        return validationFailed('Blob', 'encoding', `encoding ${encoding} is not supported`);
      }
      const content = Buffer.from(b.content, encoding === 'base64' ? 'base64' : 'utf8');
      const sha = context.state.git.putBlob(content);
      const url = `${context.origin}/repos/${context.state.owner}/${context.state.repo}/git/blobs/${sha}`;
      return ok(201, { sha, url });
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/git/blobs/{file_sha}',
    handle: (context) => {
      const sha = context.path.file_sha as string;
      const blob = context.state.git.get(sha, 'blob');
      if (blob === undefined) return notFound('https://docs.github.com/rest/git/blobs#get-a-blob');
      // GitHub wraps the base64 content in lines of 60 characters.
      const content = (blob.content.toString('base64').match(/.{1,60}/g) ?? []).join('\n');
      return ok(200, {
        sha,
        node_id: `B_${sha}`,
        size: blob.content.length,
        url: `${context.origin}/repos/${context.state.owner}/${context.state.repo}/git/blobs/${sha}`,
        content,
        encoding: 'base64',
      });
    },
  },
];
