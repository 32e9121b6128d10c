import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setCommitStatus, setDeploymentStatus } from '../../src/github/statuses.ts';
import { type FakeGitHub, githubFaults, startFakeGitHub } from '../support/fake-github.ts';
import { collectLog, fakeClient } from '../support/fake-github-client.ts';

const SHA = 'feedfacefeedfacefeedfacefeedfacefeedface';
const RUN = 'https://github.com/acme/site/actions/runs/99';

let fake: FakeGitHub;
beforeEach(async () => {
  fake = await startFakeGitHub();
});
afterEach(async () => {
  await fake.close();
});

describe('commit status', () => {
  it('sets edgepurge/<environment> with the run as target_url', async () => {
    const log = collectLog();
    const posted = await setCommitStatus(fakeClient(fake), {
      owner: 'acme',
      repo: 'site',
      sha: SHA,
      environment: 'staging',
      state: 'success',
      description: '12 URLs purged, 12 verified fresh',
      targetUrl: RUN,
      log,
    });
    expect(posted).toBe(true);
    expect(fake.statuses).toEqual([
      {
        sha: SHA,
        state: 'success',
        context: 'edgepurge/staging',
        description: '12 URLs purged, 12 verified fresh',
        target_url: RUN,
      },
    ]);
    expect(fake.violations).toEqual([]);
  });

  it('cuts the description to 140 characters', async () => {
    const description = `3 stale: ${'https://www.example.com/very/long/path.html, '.repeat(10)}`;
    await setCommitStatus(fakeClient(fake), {
      owner: 'acme',
      repo: 'site',
      sha: SHA,
      environment: 'production',
      state: 'failure',
      description,
      log: collectLog(),
    });
    const stored = fake.statuses[0]?.description ?? '';
    expect(Array.from(stored)).toHaveLength(140);
    expect(stored.endsWith('…')).toBe(true);
    expect(description.startsWith(stored.slice(0, -1))).toBe(true);
    expect(fake.violations).toEqual([]);
  });

  it('warns and returns false when the token may not set statuses', async () => {
    fake.injectFaults(() => true, [githubFaults.forbidden()]);
    const log = collectLog();
    const posted = await setCommitStatus(fakeClient(fake), {
      owner: 'acme',
      repo: 'site',
      sha: SHA,
      environment: 'production',
      state: 'pending',
      description: 'purging',
      log,
    });
    expect(posted).toBe(false);
    expect(log.warnings.join('\n')).toContain('statuses: write');
    expect(fake.statuses).toEqual([]);
  });

  it('is checked against GitHub’s description: a state GitHub does not know is refused', async () => {
    const log = collectLog();
    const posted = await setCommitStatus(fakeClient(fake), {
      owner: 'acme',
      repo: 'site',
      sha: SHA,
      environment: 'production',
      // A caller that bypasses the types sends what GitHub would refuse.
      state: 'done' as 'success',
      description: 'x',
      log,
    });
    expect(posted).toBe(false);
    expect(fake.statuses).toEqual([]);
    expect(fake.violations).toHaveLength(1);
    expect(fake.violations[0]).toMatch(
      /repos\/create-commit-status: body\/state must be equal to one of the allowed values/,
    );
    expect(log.warnings.join('\n')).toContain('422');
  });
});

describe('deployment status', () => {
  it('sets the state with the environment URL and the run as log', async () => {
    const posted = await setDeploymentStatus(fakeClient(fake), {
      owner: 'acme',
      repo: 'site',
      deploymentId: 77,
      state: 'in_progress',
      environment: 'production',
      environmentUrl: 'https://www.example.com/',
      logUrl: RUN,
      description: 'purging 12 URLs',
      log: collectLog(),
    });
    expect(posted).toBe(true);
    expect(fake.deploymentStatuses).toEqual([
      {
        deploymentId: 77,
        state: 'in_progress',
        environment: 'production',
        environment_url: 'https://www.example.com/',
        log_url: RUN,
        description: 'purging 12 URLs',
      },
    ]);
    expect(fake.violations).toEqual([]);
  });
});
