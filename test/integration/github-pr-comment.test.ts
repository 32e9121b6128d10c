import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  commentBody,
  MAX_COMMENT_LENGTH,
  planCommentMarker,
  upsertPlanComment,
} from '../../src/github/pr-comment.ts';
import {
  ACTIONS_BOT,
  FAKE_GITHUB_TOKEN,
  type FakeGitHub,
  githubFaults,
  startFakeGitHub,
} from '../support/fake-github.ts';
import { collectLog, fakeClient } from '../support/fake-github-client.ts';

const PR = 42;
const PAT = 'ghp_personalAccessToken0000000000000000';

let fake: FakeGitHub;
beforeEach(async () => {
  fake = await startFakeGitHub({
    tokens: {
      [FAKE_GITHUB_TOKEN]: ACTIONS_BOT,
      [PAT]: { login: 'deploy-bot-user', type: 'User', installation: false },
    },
  });
});
afterEach(async () => {
  expect(fake.violations).toEqual([]);
  await fake.close();
});

function upsert(body: string, options: { environment?: string; token?: string } = {}) {
  const log = collectLog();
  const result = upsertPlanComment(
    fakeClient(fake, { log, ...(options.token ? { token: options.token } : {}) }),
    {
      owner: 'acme',
      repo: 'site',
      issueNumber: PR,
      environment: options.environment ?? 'production',
      body,
      log,
    },
  );
  return { result, log };
}

const ours = () => fake.comments.filter((comment) => comment.user.login === ACTIONS_BOT.login);

describe('plan comment', () => {
  it('is created once, then updated in place on each push, never duplicated', async () => {
    const first = await upsert('## Plan\n3 URLs').result;
    expect(first.action).toBe('created');
    expect(first.url).toContain(`/pull/${PR}#issuecomment-`);
    expect(ours()).toHaveLength(1);
    expect(ours()[0]?.body).toBe(`${planCommentMarker('production')}\n## Plan\n3 URLs`);

    const second = await upsert('## Plan\n5 URLs').result;
    expect(second.action).toBe('updated');
    expect(second.url).toBe(first.url);
    expect(ours()).toHaveLength(1);
    expect(ours()[0]?.body).toContain('5 URLs');
    expect(ours()[0]?.edits).toBe(1);

    const third = await upsert('## Plan\n5 URLs').result;
    expect(third.action).toBe('unchanged');
    expect(ours()[0]?.edits).toBe(1);
  });

  it('finds its comment past the first pages of a long thread', async () => {
    for (let i = 0; i < 130; i++)
      fake.seedComment(PR, `review ${i}`, { login: 'alice', type: 'User' });
    await upsert('plan v1').result;
    for (let i = 0; i < 120; i++) fake.seedComment(PR, `more ${i}`, { login: 'bob', type: 'User' });
    const again = await upsert('plan v2').result;
    expect(again.action).toBe('updated');
    expect(ours()).toHaveLength(1);
    expect(ours()[0]?.body).toContain('plan v2');
    // The list was read 100 at a time, following the Link header to the second page.
    const lists = fake.server.requests.filter(
      (r) => r.method === 'GET' && r.url.includes('/comments'),
    );
    expect(lists.some((r) => r.url.includes('page=2'))).toBe(true);
    expect(lists.every((r) => r.url.includes('per_page=100'))).toBe(true);
  });

  it('keeps one comment per environment', async () => {
    await upsert('production plan').result;
    const staging = await upsert('staging plan', { environment: 'staging' }).result;
    expect(staging.action).toBe('created');
    await upsert('production plan v2').result;
    expect(ours()).toHaveLength(2);
    const byMarker = (environment: string) =>
      ours().find((comment) => comment.body.startsWith(planCommentMarker(environment)))?.body;
    expect(byMarker('staging')).toContain('staging plan');
    expect(byMarker('production')).toContain('production plan v2');
  });

  it('does not hijack a comment that another user wrote with the marker', async () => {
    const planted = fake.seedComment(
      PR,
      `${planCommentMarker('production')}\nplease purge everything`,
      {
        login: 'mallory',
        type: 'User',
      },
    );
    const result = await upsert('the real plan').result;
    expect(result.action).toBe('created');
    expect(planted.body).toContain('please purge everything');
    expect(planted.edits).toBe(0);
    expect(ours()).toHaveLength(1);
  });

  it('with a personal token, knows itself by GET /user and ignores bots', async () => {
    fake.seedComment(PR, `${planCommentMarker('production')}\nold bot plan`, {
      login: ACTIONS_BOT.login,
      type: 'Bot',
    });
    const first = await upsert('plan by user', { token: PAT }).result;
    expect(first.action).toBe('created');
    const second = await upsert('plan by user v2', { token: PAT }).result;
    expect(second.action).toBe('updated');
    const mine = fake.comments.filter((comment) => comment.user.login === 'deploy-bot-user');
    expect(mine.map((comment) => comment.body)).toEqual([
      `${planCommentMarker('production')}\nplan by user v2`,
    ]);
  });

  it('cuts a body over 65,536 characters and says so', async () => {
    const long = `\`\`\`\n${'https://www.example.com/a-long-url.html\n'.repeat(3000)}\`\`\``;
    const { result, log } = upsert(long);
    expect((await result).action).toBe('created');
    const body = ours()[0]?.body ?? '';
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_LENGTH);
    expect(body.startsWith(planCommentMarker('production'))).toBe(true);
    expect(body).toContain('This plan was cut');
    // The open code fence was closed before the note.
    expect(body.match(/^```/gm)?.length ?? 0).toBe(2);
    expect(log.warnings.join('\n')).toContain('cut');
    expect(commentBody('<!-- m -->', 'short')).toBe('<!-- m -->\nshort');
  });

  it('skips with a warning when the token may not comment (a fork pull request)', async () => {
    fake.injectFaults((request) => request.method === 'POST', [githubFaults.forbidden()]);
    const { result, log } = upsert('plan');
    expect(await result).toEqual({ action: 'skipped' });
    expect(log.warnings.join('\n')).toContain('fork');
    expect(fake.comments).toEqual([]);
  });

  it('fails on a wrong token (exit 2), not silently', async () => {
    const error = await upsert('plan', { token: 'ghp_notAValidToken000000000' }).result.catch(
      (e) => e,
    );
    expect(error.exitCode).toBe(2);
    expect(error.code).toBe('E_GITHUB_AUTH');
  });
});
