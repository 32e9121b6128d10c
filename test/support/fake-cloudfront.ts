import { createHash, createHmac, randomUUID } from 'node:crypto';
import type { FakeAnswer, FakeRequest, FakeServer } from './fake-http.ts';
import { startFakeServer } from './fake-http.ts';

export interface FakeCloudfrontOptions {
  /** The only credentials accepted: the access key ID is checked, the SigV4 signature verified. */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The distributions that exist. */
  readonly distributions: readonly string[];
  /** GetInvalidation answers before an invalidation says Completed (default 1). */
  readonly completeAfterPolls?: number;
  /** Or: completed this long after its creation, by `now` (default: never by time). */
  readonly completeAfterMs?: number;
  readonly now?: () => number;
  /**
   * Runs for each new invalidation before the API answers (e.g. forward it to a real cache);
   * a throw answers 500 InternalError and nothing is created.
   */
  readonly onInvalidate?: (paths: readonly string[]) => void | Promise<void>;
}

/** One invalidation as the fake holds it. */
export interface FakeInvalidation {
  readonly distributionId: string;
  readonly id: string;
  readonly callerReference: string;
  readonly paths: readonly string[];
  readonly createdAt: number;
  status: 'InProgress' | 'Completed';
  polls: number;
}

export interface FakeCloudfront {
  readonly url: string;
  /** Every request received, faults included; inject 429/5xx/resets through `server.faults`. */
  readonly server: FakeServer;
  /** Invalidations created (a replayed CallerReference creates none), in order. */
  invalidations(): FakeInvalidation[];
  /** Every path of every invalidation created, duplicates kept. */
  paths(): string[];
  /** Marks an invalidation (or all) Completed. */
  complete(id?: string): void;
  /** When set, the next CreateInvalidation is applied and then its connection dropped. */
  loseNextCreateResponse: boolean;
  /** GetInvalidation answers before an invalidation says Completed; change it at will. */
  completeAfterPolls: number;
}

const NS = 'http://cloudfront.amazonaws.com/doc/2020-05-31/';
const BASE = '/2020-05-31/distribution/';
// InvalidationLimits.html: 3,000 individual paths and 15 wildcard paths in progress at once.
const MAX_PATHS = 3_000;
const MAX_WILDCARDS = 15;
// RFC 1738 "unsafe" characters and non-ASCII must be URL-encoded in a path
// (invalidation-specifying-objects.html); CloudFront answers InvalidArgument otherwise.
const UNSAFE = /[\s<>"#{}|\\^~[\]`]/;

/** Whether `path` holds a character CloudFront wants encoded: unsafe, a control, non-ASCII. */
function mustBeEncoded(path: string): boolean {
  return (
    UNSAFE.test(path) ||
    [...path].some((c) => (c.codePointAt(0) ?? 0) < 0x21 || (c.codePointAt(0) ?? 0) > 0x7e)
  );
}

/**
 * A loopback CloudFront API (REST-XML, API version 2020-05-31), written from AWS's API
 * reference and answering as it documents:
 * - `POST {BASE}{Id}/invalidation` with an `<InvalidationBatch>`: 201, a `Location` header and
 *   the `<Invalidation>` (Id, Status InProgress, CreateTime, the batch) — API_CreateInvalidation;
 *   the same CallerReference with the same paths again: the existing invalidation, none created;
 *   with other paths: InvalidationBatchAlreadyExists (API_InvalidationBatch);
 *   more than 3,000 individual or 15 wildcard paths in progress: 400
 *   TooManyInvalidationsInProgress; more than 3,000 paths in one batch: 413 BatchTooLarge;
 *   Quantity ≠ the Items: 400 InconsistentQuantities; a path not starting with `/`, with a `*`
 *   not at its end, or with a character that must be encoded: 400 InvalidArgument;
 * - `GET {BASE}{Id}/invalidation/{InvalidationId}`: 200 `<Invalidation>` (API_GetInvalidation);
 *   each answer counts as a poll; Completed after `completeAfterPolls` polls or `completeAfterMs`;
 * - `GET {BASE}{Id}/invalidation[?Marker&MaxItems]`: 200 `<InvalidationList>` of
 *   `<InvalidationSummary>`, newest first (API_ListInvalidations);
 * - an unknown distribution: 404 NoSuchDistribution; an unknown invalidation: 404
 *   NoSuchInvalidation; an unknown access key: 403 InvalidClientTokenId; a wrong signature: 403
 *   SignatureDoesNotMatch;
 * - every error as `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
 */
export async function startFakeCloudfront(options: FakeCloudfrontOptions): Promise<FakeCloudfront> {
  const now = options.now ?? Date.now;
  const all: FakeInvalidation[] = [];
  let sequence = 0;

  const settle = (invalidation: FakeInvalidation) => {
    if (
      invalidation.status === 'InProgress' &&
      options.completeAfterMs !== undefined &&
      now() - invalidation.createdAt >= options.completeAfterMs
    )
      invalidation.status = 'Completed';
  };

  const handle = async (request: FakeRequest): Promise<FakeAnswer> => {
    const auth = checkSignature(request, options);
    if (auth !== undefined) return auth;
    const [path = '', query = ''] = request.url.split('?');
    if (!path.startsWith(BASE)) return error(404, 'Sender', 'NoSuchResource', 'Not found');
    const [distributionId = '', resource, invalidationId, ...rest] = path
      .slice(BASE.length)
      .split('/')
      .map(decodeURIComponent);
    if (resource !== 'invalidation' || rest.length > 0)
      return error(404, 'Sender', 'NoSuchResource', 'Not found');
    if (!options.distributions.includes(distributionId))
      return error(
        404,
        'Sender',
        'NoSuchDistribution',
        'The specified distribution does not exist.',
      );
    const mine = all.filter((i) => i.distributionId === distributionId);

    if (request.method === 'POST' && invalidationId === undefined) {
      return await create(request.body, distributionId, mine);
    }
    if (request.method === 'GET' && invalidationId !== undefined) {
      const found = mine.find((i) => i.id === invalidationId);
      if (found === undefined)
        return error(
          404,
          'Sender',
          'NoSuchInvalidation',
          'The specified invalidation does not exist.',
        );
      found.polls += 1;
      if (found.polls >= fake.completeAfterPolls) found.status = 'Completed';
      settle(found);
      return xml(200, invalidationXml(found));
    }
    if (request.method === 'GET') {
      const params = new URLSearchParams(query);
      const max = Number(params.get('MaxItems') ?? '100');
      const newest = [...mine].reverse();
      const start = params.has('Marker')
        ? newest.findIndex((i) => i.id === params.get('Marker')) + 1
        : 0;
      const page = newest.slice(start, start + max);
      for (const i of page) settle(i);
      const truncated = start + max < newest.length;
      return xml(
        200,
        `<InvalidationList xmlns="${NS}"><Marker>${xmlEscape(params.get('Marker') ?? '')}</Marker>${truncated ? `<NextMarker>${page.at(-1)?.id}</NextMarker>` : ''}<MaxItems>${max}</MaxItems><IsTruncated>${truncated}</IsTruncated><Quantity>${page.length}</Quantity>${page.length > 0 ? `<Items>${page.map((i) => `<InvalidationSummary><Id>${i.id}</Id><CreateTime>${iso(i.createdAt)}</CreateTime><Status>${i.status}</Status></InvalidationSummary>`).join('')}</Items>` : ''}</InvalidationList>`,
      );
    }
    return error(405, 'Sender', 'MethodNotAllowed', 'Method not allowed');
  };

  const create = async (
    body: string,
    distributionId: string,
    mine: FakeInvalidation[],
  ): Promise<FakeAnswer> => {
    if (body.trim() === '')
      return error(400, 'Sender', 'MissingBody', 'This operation requires a body.');
    const reference = xmlUnescape(
      /<CallerReference>([\s\S]*?)<\/CallerReference>/.exec(body)?.[1] ?? '',
    );
    const quantity = Number(/<Quantity>(\d+)<\/Quantity>/.exec(body)?.[1] ?? 'NaN');
    const paths = [...body.matchAll(/<Path>([\s\S]*?)<\/Path>/g)].map((m) =>
      xmlUnescape(m[1] ?? ''),
    );
    if (reference === '')
      return error(400, 'Sender', 'InvalidArgument', 'CallerReference is required.');
    if (quantity !== paths.length)
      return error(
        400,
        'Sender',
        'InconsistentQuantities',
        'The value of Quantity and the size of Items do not match.',
      );
    const earlier = mine.find((i) => i.callerReference === reference);
    if (earlier !== undefined) {
      if (sameSet(earlier.paths, paths)) return created(earlier);
      return error(
        409,
        'Sender',
        'InvalidationBatchAlreadyExists',
        'An invalidation batch with this CallerReference already exists with different paths.',
      );
    }
    if (paths.length === 0 || paths.some((p) => !validPath(p)))
      return error(
        400,
        'Sender',
        'InvalidArgument',
        'Your request contains one or more invalid invalidation paths.',
      );
    if (paths.length > MAX_PATHS)
      return error(413, 'Sender', 'BatchTooLarge', 'Invalidation batch specified is too large.');
    for (const i of mine) settle(i);
    const open = mine.filter((i) => i.status === 'InProgress');
    const wildcards = (list: readonly string[]) => list.filter((p) => p.endsWith('*')).length;
    const openWildcards = open.reduce((n, i) => n + wildcards(i.paths), 0);
    const openPaths = open.reduce((n, i) => n + i.paths.length - wildcards(i.paths), 0);
    if (
      openPaths + paths.length - wildcards(paths) > MAX_PATHS ||
      openWildcards + wildcards(paths) > MAX_WILDCARDS
    ) {
      return error(
        400,
        'Sender',
        'TooManyInvalidationsInProgress',
        'Processing your request will cause you to exceed the maximum number of in-progress wildcard invalidations.',
      );
    }
    try {
      await options.onInvalidate?.(paths);
    } catch (thrown) {
      return error(500, 'Receiver', 'InternalError', `forwarding failed: ${String(thrown)}`);
    }
    sequence += 1;
    const invalidation: FakeInvalidation = {
      distributionId,
      id: `I${String(sequence).padStart(4, '0')}${randomUUID().replace(/-/g, '').slice(0, 9).toUpperCase()}`,
      callerReference: reference,
      paths,
      createdAt: now(),
      status: fake.completeAfterPolls === 0 ? 'Completed' : 'InProgress',
      polls: 0,
    };
    all.push(invalidation);
    if (fake.loseNextCreateResponse) {
      fake.loseNextCreateResponse = false;
      return { drop: true };
    }
    return created(invalidation);
  };

  const server = await startFakeServer(handle);
  const fake: FakeCloudfront = {
    url: server.url,
    server,
    loseNextCreateResponse: false,
    completeAfterPolls: options.completeAfterPolls ?? 1,
    invalidations: () => [...all],
    paths: () => all.flatMap((i) => i.paths),
    complete(id) {
      for (const i of all) if (id === undefined || i.id === id) i.status = 'Completed';
    },
  };
  return fake;
}

function created(invalidation: FakeInvalidation): FakeAnswer {
  return {
    status: 201,
    headers: {
      'content-type': 'text/xml',
      location: `https://cloudfront.amazonaws.com${BASE}${invalidation.distributionId}/invalidation/${invalidation.id}`,
    },
    body: `<?xml version="1.0"?>\n${invalidationXml(invalidation)}`,
  };
}

function invalidationXml(i: FakeInvalidation): string {
  return `<Invalidation xmlns="${NS}"><Id>${i.id}</Id><Status>${i.status}</Status><CreateTime>${iso(i.createdAt)}</CreateTime><InvalidationBatch><Paths><Quantity>${i.paths.length}</Quantity><Items>${i.paths.map((p) => `<Path>${xmlEscape(p)}</Path>`).join('')}</Items></Paths><CallerReference>${xmlEscape(i.callerReference)}</CallerReference></InvalidationBatch></Invalidation>`;
}

function xml(status: number, body: string): FakeAnswer {
  return {
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<?xml version="1.0"?>\n${body}`,
  };
}

/** CloudFront's error document (REST-XML). */
export function cloudfrontErrorBody(type: string, code: string, message: string): string {
  return `<?xml version="1.0"?>\n<ErrorResponse xmlns="${NS}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
}

function error(status: number, type: string, code: string, message: string): FakeAnswer {
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() },
    body: cloudfrontErrorBody(type, code, message),
  };
}

function validPath(path: string): boolean {
  if (!path.startsWith('/') || path.length > 4_000) return false;
  const star = path.indexOf('*');
  if (star !== -1 && star !== path.length - 1) return false;
  return !mustBeEncoded(path);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

function xmlUnescape(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) =>
      String.fromCodePoint(Number.parseInt(hex, 16)),
    )
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/**
 * Verifies AWS Signature Version 4 (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html)
 * as CloudFront would: the access key must be the fake's, and the signature computed with its
 * secret over the canonical request must match. An answer for a refusal, undefined when valid.
 */
function checkSignature(
  request: FakeRequest,
  options: FakeCloudfrontOptions,
): FakeAnswer | undefined {
  const header = String(request.headers.authorization ?? '');
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
      header,
    );
  if (match === null)
    return error(
      403,
      'Sender',
      'MissingAuthenticationToken',
      'Request is missing Authentication Token',
    );
  const [, keyId, day, region, service, signedHeaders, signature] = match as unknown as string[];
  if (keyId !== options.accessKeyId)
    return error(
      403,
      'Sender',
      'InvalidClientTokenId',
      'The security token included in the request is invalid.',
    );
  const amzDate = String(request.headers['x-amz-date'] ?? '');
  const [path = '', query = ''] = request.url.split('?');
  const canonicalQuery = [...new URLSearchParams(query)]
    .map(([k, v]) => [awsEncode(k), awsEncode(v)])
    .sort(([a = '', b = ''], [c = '', d = '']) => (a === c ? (b < d ? -1 : 1) : a < c ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = (signedHeaders ?? '').split(';');
  const canonicalHeaders = names
    .map(
      (name) =>
        `${name}:${String(request.headers[name] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const payloadHash =
    String(request.headers['x-amz-content-sha256'] ?? '') ||
    createHash('sha256').update(request.body).digest('hex');
  const canonicalRequest = [
    request.method,
    path
      .split('/')
      .map((segment) => awsEncode(decodeURIComponent(segment)))
      .map((segment) => awsEncode(segment))
      .join('/'),
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  let key: Buffer = Buffer.from(`AWS4${options.secretAccessKey}`);
  for (const part of [day, region, service, 'aws4_request'])
    key = createHmac('sha256', key)
      .update(part ?? '')
      .digest();
  const expected = createHmac('sha256', key).update(toSign).digest('hex');
  if (expected !== signature)
    return error(
      403,
      'Sender',
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.',
    );
  return undefined;
}

/** RFC 3986 encoding as SigV4 wants it: unreserved characters only left as they are. */
function awsEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
