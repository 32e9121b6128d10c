import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck/light.js';
import { type Logger, silentLogger } from '../log.ts';
import { createRedactor, type Redactor } from '../redact.ts';
import { DEFAULT_GITHUB_API_URL } from './github-constants.ts';

/** Octokit with the REST methods, pagination, retries on 5xx/resets and rate-limit throttling. */
const GitHubOctokit = Octokit.plugin(retry, throttling);

/** The client every function of `src/github/` takes. */
export type GitHubClient = InstanceType<typeof GitHubOctokit>;

export { DEFAULT_GITHUB_API_URL };

export interface CreateOctokitOptions {
  readonly token: string;
  /** `GITHUB_API_URL`: `https://api.github.com`, `https://HOST/api/v3` on GitHub Enterprise Server. */
  readonly baseUrl?: string;
  readonly log?: Logger;
  /**
   * The run's redactor: it learns the token, and the client's warnings pass through it.
   * Default: a new one that knows only this token.
   */
  readonly redactor?: Redactor;
  /** The transport, for tests; the global fetch by default. */
  readonly fetch?: typeof fetch;
  /** Retries of a request after a 5xx, a reset connection or a rate limit. Default 3. */
  readonly retries?: number;
  /**
   * How long one second of back-off lasts, in ms: 1000 in production. Every wait is a number of
   * seconds (GitHub's `retry-after`, the time to `x-ratelimit-reset`, the retry plugin's 1, 4,
   * 9 s back-off) times this; tests pass 1 so that a `retry-after: 1` waits 1 ms.
   */
  readonly minRetryMs?: number;
  /**
   * Minimum spacing of write requests in ms. GitHub asks integrations to wait about a second
   * between writes (docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api
   * "Pause between mutative requests"), which the throttling plugin does by default (1 s, and 3 s
   * for writes that notify, like comments). Tests pass 0.
   */
  readonly writeSpacingMs?: number;
}

// The longest wait for a rate limit that a deploy accepts. A primary limit resets up to an hour
// later; a CI job that sleeps that long is worse than one that fails and says why.
const MAX_RATE_LIMIT_WAIT_SECONDS = 300;

/**
 * Builds the GitHub client: `@octokit/rest` at `baseUrl` with the retry plugin (5xx and reset
 * connections, `retries` times with growing back-off; 4xx other than rate limits are final) and
 * the throttling plugin (primary and secondary rate limits, retried `retries` times honouring
 * `retry-after` / `x-ratelimit-reset`, each logged). The token is registered with the redactor.
 */
export function createOctokit(options: CreateOctokitOptions): GitHubClient {
  const redactor = options.redactor ?? createRedactor();
  redactor.register(options.token);
  const redact = (text: string) => redactor.redact(text);
  const log = options.log ?? silentLogger;
  const retries = options.retries ?? 3;
  const unitMs = options.minRetryMs ?? 1000;
  const onLimit =
    (kind: string) =>
    (
      retryAfter: number,
      request: { method: string; url: string },
      _octokit: unknown,
      retryCount: number,
    ): boolean => {
      const what = `${request.method} ${request.url}`;
      if (retryCount >= retries || retryAfter > MAX_RATE_LIMIT_WAIT_SECONDS) {
        log.warn(
          redact(`GitHub ${kind} rate limit on ${what}; giving up after ${retryCount} retries`),
        );
        return false;
      }
      log.warn(
        redact(
          `GitHub ${kind} rate limit on ${what}; retrying in ${retryAfter}s (retry ${retryCount + 1} of ${retries})`,
        ),
      );
      return true;
    };
  const spacing =
    options.writeSpacingMs === undefined
      ? {}
      : {
          write: new Bottleneck.Group({ maxConcurrent: 1, minTime: options.writeSpacingMs }),
          notifications: new Bottleneck.Group({
            maxConcurrent: 1,
            minTime: options.writeSpacingMs,
          }),
        };
  return new GitHubOctokit({
    auth: options.token,
    baseUrl: (options.baseUrl ?? DEFAULT_GITHUB_API_URL).replace(/\/+$/, ''),
    userAgent: 'edgepurge',
    request: options.fetch === undefined ? {} : { fetch: options.fetch },
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => log.warn(redact(`GitHub: ${message}`)),
      error: (message: string) => log.warn(redact(`GitHub: ${message}`)),
    },
    retry: { retries, retryAfterBaseValue: unitMs },
    throttle: {
      retryAfterBaseValue: unitMs,
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
      ...spacing,
    },
  });
}
