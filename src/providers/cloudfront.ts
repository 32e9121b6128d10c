import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { urlProblem } from '../config/url-problem.ts';
import {
  callerReference,
  FREE_PATHS_PER_MONTH,
  invalidationPaths,
  isWildcard,
  MAX_PATH_LENGTH,
  MAX_PATHS_IN_PROGRESS,
  MAX_WILDCARDS_IN_PROGRESS,
} from '../plan/cloudfront-paths.ts';
import { type Clock, systemClock } from '../purge/clock.ts';
import type { CloudfrontApi, CloudfrontCredentials } from './cloudfront-client.ts';
import { COMPLETED, pollInvalidations, settled, type Tracked } from './cloudfront-wait.ts';
import type {
  Provider,
  ProviderCapabilities,
  PurgeAttempt,
  PurgeBatch,
  PurgeOutcome,
  SettledWork,
  SettleOptions,
} from './provider.ts';
import { defineProvider, NAME_DESCRIPTION } from './provider-definition.ts';
import { PurgeError } from './purge-error.ts';

/** `providers[]` entries of type cloudfront. */
export const cloudfrontSchema = z
  .strictObject({
    type: z.literal('cloudfront'),
    name: z.string().min(1).optional().describe(NAME_DESCRIPTION),
    distributionId: z
      .string()
      .regex(
        /^[A-Z0-9]{8,32}$/,
        'must be the distribution ID (like E2QWRUHAPOMQZL, from the CloudFront console), not its domain name',
      )
      .describe(
        "The distribution's ID. Credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, web identity such as GitHub OIDC).",
      ),
    wait: z
      .boolean()
      .default(true)
      .describe(
        'Wait until every invalidation is Completed before the next provider and before verification.',
      ),
    timeoutSeconds: z
      .number()
      .positive()
      .max(86_400)
      .default(900)
      .describe('How long to wait for invalidations to complete before the run fails.'),
    freePathsPerMonth: z
      .int()
      .min(0)
      .default(FREE_PATHS_PER_MONTH)
      .describe(
        'Invalidation paths a month that cost nothing (1,000 per AWS account, shared by its distributions; 0: every path is billed). The planner uses /dir/* wildcards where they save billed paths.',
      ),
    endpoint: z
      .string()
      .superRefine((value, ctx) => {
        const problem = urlProblem(
          value,
          'the CloudFront API URL, e.g. https://cloudfront.amazonaws.com',
        );
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional()
      .describe("The CloudFront API endpoint (tests, private endpoints); default: the SDK's."),
  })
  .describe('Amazon CloudFront: invalidations through the AWS SDK, waited for until Completed.');

export type CloudfrontConfig = z.output<typeof cloudfrontSchema>;

/**
 * CloudFront, defined once: no secret of its own (the SDK's default chain finds the
 * credentials; AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN are redacted through redact.ts);
 * `purge --distribution-id ID`.
 */
export const cloudfrontDefinition = defineProvider({
  type: 'cloudfront',
  schema: cloudfrontSchema,
  secrets: [],
  capabilities: (config) => cloudfrontCapabilities(config),
  checkPrefix: (prefix) => checkCloudfrontPrefix(prefix),
  create: (config, { env }) =>
    createCloudfrontProvider(config, { credentials: credentialsFrom(env) }),
  purgeFlags: [
    {
      flag: 'distribution-id',
      key: 'distributionId',
      type: 'string',
      selects: true,
      usage: '--distribution-id ID',
    },
  ],
});

/**
 * Batch sizes from CloudFront's quotas (InvalidationLimits.html): 3,000 individual paths and 15
 * wildcard paths in progress per distribution, so one invalidation takes at most that many.
 * One invalidation at a time: the provider counts what it has in progress and waits for room
 * before the next (purge), instead of meeting TooManyInvalidationsInProgress.
 */
export function cloudfrontCapabilities(config: CloudfrontConfig): ProviderCapabilities {
  return {
    maxUrlsPerRequest: MAX_PATHS_IN_PROGRESS,
    maxPrefixesPerRequest: MAX_WILDCARDS_IN_PROGRESS,
    maxTagsPerRequest: 0,
    // A host purge would be /* too; the planner's `everything` says so.
    maxHostsPerRequest: 0,
    everything: true,
    concurrency: 1,
    // No token bucket: AWS publishes no request rate for CreateInvalidation; a Throttling answer
    // is retried by the executor like a 429.
    billing: { perTarget: true, freePerMonth: config.freePathsPerMonth },
    // No softKinds: an invalidation removes the objects, so the next request for them goes to
    // the origin (Invalidation.html); CloudFront documents no mark-stale purge.
  };
}

/** Why CloudFront cannot take `prefix` (`host/path`) as a wildcard path, or undefined. */
export function checkCloudfrontPrefix(prefix: string): string | undefined {
  if (prefix.trim() === '') return 'is empty';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(prefix))
    return 'starts with a scheme; write host/path, e.g. www.example.com/blog/';
  if (prefix.startsWith('/')) return 'has no hostname; write host/path, e.g. www.example.com/blog/';
  if (prefix.includes('?') || prefix.includes('#')) return 'has a query or fragment';
  // "You can't use a wildcard within the path; only at the end" (invalidation-specifying-objects).
  if (prefix.includes('*')) return 'contains *; the wildcard is added at the end by edgepurge';
  if (prefix.length > MAX_PATH_LENGTH) return `is longer than ${MAX_PATH_LENGTH} characters`;
  return undefined;
}

/** Static credentials when the run's environment holds them; else the SDK's default chain. */
export function credentialsFrom(env: NodeJS.ProcessEnv): CloudfrontCredentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  if (!accessKeyId || !secretAccessKey) return undefined;
  const sessionToken = env.AWS_SESSION_TOKEN?.trim();
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

export interface CloudfrontOptions {
  /** From the run's environment; absent: the SDK's default chain. */
  readonly credentials?: CloudfrontCredentials;
  /** Per API request (default 30 s). */
  readonly timeoutMs?: number;
  /** Polling waits; injectable so tests do not sleep. */
  readonly clock?: Clock;
}

/**
 * A provider that invalidates one distribution: each batch is one CreateInvalidation (its
 * CallerReference derived from the run, so a resumed run gets the invalidation it already made
 * back instead of paying twice), room for it waited for when its paths would pass the quotas,
 * and with `wait` every invalidation polled until `Completed` in `settle`.
 */
export function createCloudfrontProvider(
  config: CloudfrontConfig,
  options: CloudfrontOptions = {},
): Provider {
  const clock = options.clock ?? systemClock;
  const id = config.distributionId;
  const name = config.name ?? 'cloudfront';
  const label = `cloudfront ${id}`;
  const at = `POST /2020-05-31/distribution/${id}/invalidation`;
  // Without a journal (a manual purge), retries within this run still share a reference.
  const ownRun = randomBytes(12).toString('hex');
  const tracked: Tracked[] = [];
  let api: Promise<CloudfrontApi> | undefined;
  const connect = (): Promise<CloudfrontApi> => {
    api ??= import('./cloudfront-client.ts').then(({ createCloudfrontApi }) =>
      createCloudfrontApi({
        endpoint: config.endpoint,
        credentials: options.credentials,
        timeoutMs: options.timeoutMs,
      }),
    );
    return api;
  };
  const waitOptions = (signal: AbortSignal, log: SettleOptions['log'], purpose: string) => ({
    provider: name,
    label,
    clock,
    signal,
    log,
    purpose,
    timeoutMs: config.timeoutSeconds * 1000,
    get: async (invalidation: string, s: AbortSignal) =>
      (await connect()).getInvalidation(id, invalidation, s),
    hint: `the invalidations keep running at CloudFront, and a rerun waits for them; raise providers[].timeoutSeconds (${config.timeoutSeconds}) or set "wait": false`,
  });

  /** Waits until `paths` more fit within the quotas beside this run's invalidations. */
  const makeRoom = async (paths: readonly string[], signal: AbortSignal) => {
    const wildcards = paths.filter(isWildcard).length;
    const individual = paths.length - wildcards;
    const fits = () => {
      const open = tracked.filter((item) => item.status !== COMPLETED);
      if (open.length === 0) return true;
      const inPaths = open.reduce((n, item) => n + item.paths, 0);
      const inWildcards = open.reduce((n, item) => n + item.wildcards, 0);
      return (
        inPaths + individual <= MAX_PATHS_IN_PROGRESS &&
        inWildcards + wildcards <= MAX_WILDCARDS_IN_PROGRESS
      );
    };
    if (fits()) return;
    await pollInvalidations(
      tracked,
      fits,
      waitOptions(signal, { info: () => {}, warn: () => {} }, `room for ${paths.length} paths`),
    );
  };

  const track = (
    state: { id: string; status: string; paths: readonly string[] },
    resumed: boolean,
  ) => {
    if (tracked.some((item) => item.id === state.id)) return;
    const wildcards = state.paths.filter(isWildcard).length;
    const now = clock.now();
    tracked.push({
      id: state.id,
      paths: state.paths.length - wildcards,
      wildcards,
      startedAt: now,
      resumed,
      status: state.status,
      ...(state.status === COMPLETED ? { doneAt: now } : {}),
    });
  };

  return {
    name,
    type: 'cloudfront',
    capabilities: cloudfrontCapabilities(config),
    async purge(
      batch: PurgeBatch,
      signal: AbortSignal,
      attempt?: PurgeAttempt,
    ): Promise<PurgeOutcome> {
      const paths = pathsOf(batch, id);
      await makeRoom(paths, signal);
      const client = await connect();
      const reference = callerReference(attempt?.run ?? ownRun, id, paths);
      const state = await client.createInvalidation(id, paths, reference, signal);
      track({ ...state, paths: state.paths.length > 0 ? state.paths : paths }, false);
      return { requests: 1, receipts: [state.id] };
    },
    describe(batch: PurgeBatch): readonly string[] {
      const paths = pathsOf(batch, id);
      return [`${at} Paths(${paths.length}): ${paths.join(' ')}`];
    },
    checkPrefix: checkCloudfrontPrefix,
    async settle({ signal, log, earlier }: SettleOptions): Promise<readonly SettledWork[]> {
      // Not waiting: the report still names each invalidation, as CloudFront last described it.
      if (!config.wait)
        return settled(tracked, clock.now(), name).map((work) => ({ ...work, waited: false }));
      for (const receipt of earlier)
        if (!tracked.some((item) => item.id === receipt))
          track({ id: receipt, status: 'InProgress', paths: [] }, true);
      if (tracked.length === 0) return [];
      const all = () => tracked.every((item) => item.status === COMPLETED);
      await pollInvalidations(tracked, all, waitOptions(signal, log, 'completion'));
      const work = settled(tracked, clock.now(), name);
      for (const item of work)
        log.info(
          `${label}: invalidation ${item.id} completed (${item.seconds} s, ${item.targets} paths)`,
        );
      return work;
    },
    async close() {
      if (api !== undefined) (await api).close();
    },
  };
}

/** The paths of a batch, refusing what CloudFront would refuse before anything is sent. */
function pathsOf(batch: PurgeBatch, distributionId: string): string[] {
  if (batch.kind === 'tags') {
    throw new PurgeError(
      'E_CLOUDFRONT_TAGS',
      `cloudfront distribution ${distributionId}: CloudFront has no tag invalidation; nothing was sent`,
      {
        kind: 'invalid',
        hint: 'remove purge.tags for this provider, or purge by URL',
      },
    );
  }
  const paths = invalidationPaths(batch);
  const tooLong = paths.find((path) => path.length > MAX_PATH_LENGTH);
  if (tooLong !== undefined) {
    throw new PurgeError(
      'E_CLOUDFRONT_PATH',
      `cloudfront distribution ${distributionId}: the path ${tooLong.slice(0, 80)}… is longer than ${MAX_PATH_LENGTH} characters; nothing was sent`,
      {
        kind: 'invalid',
        hint: `CloudFront refuses invalidation paths over ${MAX_PATH_LENGTH} characters; purge a shorter prefix`,
      },
    );
  }
  return paths;
}
