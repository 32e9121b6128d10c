import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeCloudflare, startFakeCloudflare } from '../support/fake-cloudflare.ts';
import { runMain } from '../support/run-main.ts';

// Issue 8 §3: no module-level secret set. Each `main()` run has its own redactor, so two runs
// in one process (a library user, a test runner) neither leak their own token nor redact the
// other's. Both runs purge through a loopback Cloudflare that echoes the Authorization header
// in its error, late enough that the two runs are in flight together.

const ZONE = '0123456789abcdef0123456789abcdef';
const TOKEN_A = 'tokenOfRunA0123456789abcdef';
const TOKEN_B = 'tokenOfRunB9876543210fedcba';

describe('main(): one redactor per run', () => {
  let work: string;
  let fake: FakeCloudflare;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'edgepurge-redactor-per-run-'));
    fake = await startFakeCloudflare({ token: TOKEN_A, zoneId: ZONE });
    // An API (or a proxy) that puts the Authorization header in its answer.
    fake.server.faults = (request) => ({
      delayMs: 50,
      answer: {
        status: 400,
        body: {
          success: false,
          errors: [
            { code: 1012, message: `bad request, header was ${request.headers.authorization}` },
          ],
          messages: [],
          result: null,
        },
      },
    });
  });
  afterAll(async () => {
    await fake.server.close();
    await rm(work, { recursive: true, force: true });
  });

  /** A manual purge of `path` with `token`; the output is stdout and stderr together. */
  async function purge(token: string, path: string): Promise<{ code: number; output: string }> {
    const run = await runMain(
      [
        'purge',
        '--provider',
        'cloudflare',
        '--zone-id',
        ZONE,
        '--base-url',
        'https://www.example.test',
        '--url',
        path,
        '--json',
      ],
      { cwd: work, env: { CLOUDFLARE_API_TOKEN: token, CLOUDFLARE_BASE_URL: fake.url } },
    );
    return { code: run.code, output: `${run.stdout}\n${run.stderr}` };
  }

  it('two concurrent runs: each redacts its own token, and only its own', async () => {
    // Each run's URL holds the other run's token: text its user typed, not its secret.
    const [a, b] = await Promise.all([
      purge(TOKEN_A, `/from-a/${TOKEN_B}.html`),
      purge(TOKEN_B, `/from-b/${TOKEN_A}.html`),
    ]);

    // Each run sent its own token, and the API echoed it back.
    const sent = fake.server.requests.map((request) => ({
      auth: request.headers.authorization,
      run: request.body.includes('/from-a/') ? 'a' : 'b',
    }));
    expect(sent.filter((r) => r.run === 'a').map((r) => r.auth)).toContain(`Bearer ${TOKEN_A}`);
    expect(sent.filter((r) => r.run === 'b').map((r) => r.auth)).toContain(`Bearer ${TOKEN_B}`);
    expect(sent.every((r) => r.auth === `Bearer ${r.run === 'a' ? TOKEN_A : TOKEN_B}`)).toBe(true);

    for (const [run, own, other, path] of [
      [a, TOKEN_A, TOKEN_B, '/from-a/'],
      [b, TOKEN_B, TOKEN_A, '/from-b/'],
    ] as const) {
      expect(run.code, run.output).toBe(1);
      // Its own token was echoed and scrubbed, never printed.
      expect(run.output).toContain('Bearer [redacted]');
      expect(run.output).not.toContain(own);
      // The other run's token is no secret of this run: not redacted, and never sent by it.
      expect(run.output).toContain(`${path}${other}.html`);
      expect(run.output).not.toContain(`${path}[redacted]`);
      expect(run.output).not.toContain(`Bearer ${other}`);
    }
  });
});
