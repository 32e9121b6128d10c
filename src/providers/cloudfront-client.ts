import {
  CloudFrontClient,
  CreateInvalidationCommand,
  GetInvalidationCommand,
} from '@aws-sdk/client-cloudfront';
import { type CloudfrontErrorContext, toCloudfrontError } from './cloudfront-errors.ts';

/** Static credentials from the run's environment; absent: the SDK's default chain. */
export interface CloudfrontCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface CloudfrontClientOptions {
  /** API endpoint (tests, private endpoints); absent: the SDK's (cloudfront.amazonaws.com). */
  readonly endpoint?: string;
  readonly credentials?: CloudfrontCredentials;
  /** Per API request (default 30 s). */
  readonly timeoutMs?: number;
}

/** An invalidation as edgepurge needs it. */
export interface InvalidationState {
  readonly id: string;
  /** `InProgress` or `Completed`. */
  readonly status: string;
  readonly paths: readonly string[];
  readonly createTime: Date | undefined;
}

/** The two calls edgepurge makes, errors already PurgeErrors. */
export interface CloudfrontApi {
  createInvalidation(
    distributionId: string,
    paths: readonly string[],
    callerReference: string,
    signal: AbortSignal,
  ): Promise<InvalidationState>;
  getInvalidation(
    distributionId: string,
    id: string,
    signal: AbortSignal,
  ): Promise<InvalidationState>;
  close(): void;
}

/**
 * The SDK client for one provider. This module is the only way into `@aws-sdk/client-cloudfront`
 * and cloudfront.ts imports it at the first purge, so a command that sends nothing to
 * CloudFront never loads the SDK.
 */
export function createCloudfrontApi(options: CloudfrontClientOptions): CloudfrontApi {
  const client = new CloudFrontClient({
    // CloudFront is a global service whose API is signed for us-east-1.
    region: 'us-east-1',
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    // Absent, the SDK's default chain: environment, shared config/credentials files (profiles,
    // SSO), web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN: GitHub OIDC), ECS, IMDS.
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
    // The executor owns retries and pacing: the SDK's own would hide throttling from it.
    maxAttempts: 1,
    requestHandler: { requestTimeout: options.timeoutMs ?? 30_000, connectionTimeout: 10_000 },
  });
  const call = async <T>(
    context: CloudfrontErrorContext,
    signal: AbortSignal,
    send: () => Promise<T>,
  ): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      if (signal.aborted) throw signal.reason ?? error;
      throw toCloudfrontError(error, context);
    }
  };
  return {
    async createInvalidation(distributionId, paths, callerReference, signal) {
      const context = {
        distributionId,
        at: `POST /2020-05-31/distribution/${distributionId}/invalidation`,
        what: `invalidation of ${paths.length === 1 ? paths[0] : `${paths.length} paths`}`,
      };
      const result = await call(context, signal, () =>
        client.send(
          new CreateInvalidationCommand({
            DistributionId: distributionId,
            InvalidationBatch: {
              CallerReference: callerReference,
              Paths: { Quantity: paths.length, Items: [...paths] },
            },
          }),
          { abortSignal: signal },
        ),
      );
      return stateOf(result.Invalidation, context);
    },
    async getInvalidation(distributionId, id, signal) {
      const context = {
        distributionId,
        at: `GET /2020-05-31/distribution/${distributionId}/invalidation/${id}`,
        what: `status of invalidation ${id}`,
      };
      const result = await call(context, signal, () =>
        client.send(new GetInvalidationCommand({ DistributionId: distributionId, Id: id }), {
          abortSignal: signal,
        }),
      );
      return stateOf(result.Invalidation, context);
    },
    close: () => client.destroy(),
  };
}

function stateOf(
  invalidation:
    | {
        Id?: string;
        Status?: string;
        CreateTime?: Date;
        InvalidationBatch?: { Paths?: { Items?: string[] } };
      }
    | undefined,
  context: CloudfrontErrorContext,
): InvalidationState {
  if (invalidation?.Id === undefined || invalidation.Status === undefined) {
    throw toCloudfrontError(
      { name: 'MalformedResponse', message: 'no Invalidation Id or Status in the answer' },
      context,
    );
  }
  return {
    id: invalidation.Id,
    status: invalidation.Status,
    paths: invalidation.InvalidationBatch?.Paths?.Items ?? [],
    createTime: invalidation.CreateTime,
  };
}
