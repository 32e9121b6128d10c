import { PurgeError, type PurgeFailureKind, parseRetryAfter } from './purge-error.ts';

/** What a CloudFront error message needs to say where it came from. */
export interface CloudfrontErrorContext {
  readonly distributionId: string;
  /** `POST /2020-05-31/distribution/{Id}/invalidation`, or the GET of one invalidation. */
  readonly at: string;
  /** What was being done, for the message (`invalidation of 3 paths`). */
  readonly what: string;
}

/** The IAM actions edgepurge needs, for every hint that is about permissions. */
export const CLOUDFRONT_IAM_ACTIONS =
  'cloudfront:CreateInvalidation and cloudfront:GetInvalidation';

// Error codes that mean "slow down", as the SDK's own retry strategy classifies them
// (@smithy/core retry/service-error-classification THROTTLING_ERROR_CODES), plus CloudFront's
// TooManyInvalidationsInProgress: "You have exceeded the maximum number of allowable InProgress
// invalidation batch requests, or invalidation objects" (API_CreateInvalidation.html, 400) —
// it clears as the distribution's invalidations complete, so it is waited out like a 429.
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'PriorRequestNotComplete',
]);
const IN_PROGRESS = 'TooManyInvalidationsInProgress';
// An invalidation typically completes within minutes; a minute is a fair first wait when the
// distribution's in-progress quota is full and the API gave no Retry-After.
const IN_PROGRESS_WAIT_MS = 60_000;

// Credentials the API refused: AccessDenied (403, the IAM policy lacks the action);
// InvalidClientTokenId / SignatureDoesNotMatch / ExpiredToken / InvalidAccessKeyId (AWS common
// errors: an unknown key, a wrong secret, an expired session); the SDK's own
// CredentialsProviderError when the default chain found nothing.
const AUTH = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidAccessKeyId',
  'InvalidSignatureException',
  'UnrecognizedClientException',
  'MissingAuthenticationToken',
  'CredentialsProviderError',
]);

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
  cause?: unknown;
}

/**
 * An SDK error → PurgeError in the executor's terms. Never carries the SDK error as `cause`:
 * its fields hold the raw response, and nothing of it but the code and the message is needed.
 */
export function toCloudfrontError(error: unknown, context: CloudfrontErrorContext): PurgeError {
  const e = (error ?? {}) as SdkErrorShape;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  // A body that is not CloudFront's XML (a proxy's page) leaves only the SDK's parse complaint.
  const said = /Deserialization error|XML parse error/.test(e.message ?? '')
    ? ''
    : oneLine(e.message ?? '');
  const base = `cloudfront distribution ${context.distributionId}: ${context.what} failed`;
  const message =
    status === undefined
      ? `${base}: ${name}${said === '' ? '' : ` (${said})`}`
      : `${base}: ${status}${name === 'Error' ? '' : ` ${name}`}${said === '' || said === name ? '' : `: ${said}`}`;
  const make = (code: string, kind: PurgeFailureKind, hint: string, retryAfterMs?: number) =>
    new PurgeError(code, message, { kind, status, at: context.at, hint, retryAfterMs });

  const networkCode = codeOf(error);
  if (status === undefined && (name === 'TimeoutError' || networkCode === 'ETIMEDOUT')) {
    return make(
      'E_CLOUDFRONT_TIMEOUT',
      'timeout',
      'the CloudFront API was slow to answer; retried',
    );
  }
  if (status === undefined && networkCode !== undefined && NETWORK_CODES.has(networkCode)) {
    return make(
      'E_CLOUDFRONT_NETWORK',
      'network',
      'check the network path to cloudfront.amazonaws.com (or the configured endpoint)',
    );
  }
  if (name === 'CredentialsProviderError') {
    return make(
      'E_CLOUDFRONT_AUTH',
      'auth',
      `no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), a profile (AWS_PROFILE), or in GitHub Actions aws-actions/configure-aws-credentials with OIDC; the identity needs ${CLOUDFRONT_IAM_ACTIONS}`,
    );
  }
  if (THROTTLING.has(name) || status === 429) {
    return make(
      'E_RATE_LIMIT',
      'rate-limit',
      'the CloudFront API throttled the request; it is retried after a pause',
      parseRetryAfter(e.$response?.headers?.['retry-after']),
    );
  }
  if (name === IN_PROGRESS) {
    return make(
      'E_CLOUDFRONT_IN_PROGRESS',
      'rate-limit',
      'the distribution has 3,000 paths or 15 wildcard paths in progress (its own or other invalidations); retried as they complete',
      IN_PROGRESS_WAIT_MS,
    );
  }
  if (AUTH.has(name) || status === 401 || status === 403) {
    return make(
      'E_CLOUDFRONT_AUTH',
      'auth',
      `the AWS identity needs ${CLOUDFRONT_IAM_ACTIONS} on this distribution (arn:aws:cloudfront::ACCOUNT:distribution/${context.distributionId}); credentials come from the SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, or web identity / GitHub OIDC)`,
    );
  }
  if (name === 'NoSuchDistribution' || (status === 404 && name !== 'NoSuchInvalidation')) {
    return make(
      'E_CLOUDFRONT_DISTRIBUTION',
      'not-found',
      `check distributionId (${context.distributionId}): the ID (E…) from the CloudFront console, not the domain name, in the account the credentials belong to`,
    );
  }
  if (name === 'NoSuchInvalidation') {
    return make(
      'E_CLOUDFRONT_INVALIDATION',
      'not-found',
      'the invalidation is unknown to this distribution: a journal from another distribution? remove the journal beside saveBaseline and deploy again',
    );
  }
  if (name === 'BatchTooLarge' || status === 413) {
    return make('E_CLOUDFRONT_TOO_LARGE', 'too-large', 'CloudFront refused the batch size; split');
  }
  if (status !== undefined && status >= 500) {
    return make(
      'E_CLOUDFRONT_SERVER',
      'server',
      'a CloudFront API error; retried (see https://health.aws.amazon.com)',
    );
  }
  if (name === 'InvalidationBatchAlreadyExists') {
    return make(
      'E_CLOUDFRONT_REFERENCE',
      'invalid',
      'CloudFront already holds another batch under this CallerReference; this is a bug in edgepurge, please report it',
    );
  }
  if (name === 'InvalidArgument' || name === 'InconsistentQuantities' || name === 'MissingBody') {
    return make(
      'E_CLOUDFRONT_REQUEST',
      'invalid',
      'CloudFront refused the paths as sent (a path over 4,000 characters, a * not at the end, or characters it wants encoded); see `edgepurge plan` for the paths',
    );
  }
  if (status === undefined) {
    return make(
      'E_CLOUDFRONT_NETWORK',
      'network',
      'no answer from the CloudFront API; check the network path (or the configured endpoint)',
    );
  }
  return make('E_CLOUDFRONT_REQUEST', 'invalid', 'CloudFront refused the request; see its message');
}

/** The errno-style code of an SDK network error, wherever in the cause chain it sits. */
function codeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}
