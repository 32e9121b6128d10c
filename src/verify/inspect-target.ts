import type { RecordedValidators } from '../manifest/manifest.ts';
import type { PolicyRule } from './cache-policy.ts';
import { describeError, failed, requestFailed } from './checks/check.ts';
import {
  bodyCheck,
  mayHaveVariant,
  removedCheck,
  variantCheck,
  variantErrorCheck,
} from './checks/content-checks.ts';
import { describeOld, oldValidators } from './checks/old-validators.ts';
import { PURGE_MISSED } from './checks/origin-check.ts';
import { policyChecks } from './checks/policy-checks.ts';
import { redirectCheck } from './checks/redirect-check.ts';
import {
  conditionalDateCheck,
  conditionalEtagCheck,
  etagChangedCheck,
  lastModifiedKept,
  withWhy,
} from './checks/validator-checks.ts';
import { diagnose, type EdgeState, type OriginState } from './diagnose.ts';
import { type EtagModel, explainServedEtag } from './explain-served-etag.ts';
import { type Followed, followRedirects } from './follow-redirects.ts';
import type { HttpClient, ProbeResponse } from './http-client.ts';
import { checkOrigin, type OriginTarget } from './origin.ts';
import type { Check, Diagnosis } from './report-types.ts';
import { COMPRESSED, type EdgeSnapshot, IDENTITY, sameEtag } from './snapshot.ts';
import type { VerifyTarget } from './targets.ts';

/** The cache status headers a report shows, as vendors name them. */
const CACHE_HEADERS = ['cf-cache-status', 'x-cache', 'age', 'via'] as const;

export interface InspectContext {
  /** The pooled client that reaches the edge (connect-to rules applied). */
  readonly client: HttpClient;
  readonly origin?: OriginTarget;
  readonly policy: readonly PolicyRule[];
  readonly signal: AbortSignal;
  /** The validators browsers hold, per URL (the baseline's, manifest version 2). */
  readonly held?: Readonly<Record<string, RecordedValidators>>;
  /** The origin's validator model and the files, to say why an ETag is not the predicted one. */
  readonly model?: EtagModel;
}

/** One look at one URL: its checks, and whether waiting could change them. */
export interface Inspection {
  /** In the order the layers are reached: origin, redirect, the edge's answers, then policy. */
  readonly checks: readonly Check[];
  /** No error check failed. */
  readonly fresh: boolean;
  /** A failure polling cannot fix (a validator that did not change, a policy error). */
  readonly final: boolean;
  readonly diagnosis: Diagnosis;
  readonly cache: Readonly<Record<string, string>>;
  readonly finalUrl?: string;
  /** The validators the edge served with the new bytes (what the baseline records). */
  readonly validators?: RecordedValidators;
}

/**
 * Checks one target through the edge (and the origin when configured). Requests on the happy
 * path: one GET, plus one compressed GET when the answer is compressible and announces variants
 * (Vary: Accept-Encoding, or a weak ETag), one conditional GET per old validator of a changed
 * file (recorded with the baseline, or seen by the snapshot; see `oldValidators`), and one
 * origin GET when `verify.origin` is set.
 */
export async function inspectTarget(
  ctx: InspectContext,
  target: VerifyTarget,
  before: EdgeSnapshot | undefined,
): Promise<Inspection> {
  let edge: Followed;
  try {
    edge = await followRedirects(ctx.client, target.url, { headers: IDENTITY, signal: ctx.signal });
  } catch (error) {
    return unreachable(ctx, target, describeError(error));
  }
  return target.kind === 'removed'
    ? inspectRemoved(ctx, target, edge)
    : inspectServes(ctx, target, before, edge);
}

async function inspectServes(
  ctx: InspectContext,
  target: Extract<VerifyTarget, { kind: 'serves' }>,
  before: EdgeSnapshot | undefined,
  edge: Followed,
): Promise<Inspection> {
  const { signal } = ctx;
  const { response, finalUrl } = edge;
  const { sha256 } = target;
  const previous = before !== undefined && before.sha256 !== sha256 ? before.sha256 : undefined;
  const bodyFresh =
    edge.broken === undefined && response.status === 200 && response.sha256 === sha256;
  const finals = new Set<Check>();

  // A variant is its own cache entry: asked for when the plain answer says one may exist.
  let variant: ProbeResponse | string | undefined;
  if (edge.broken === undefined && mayHaveVariant(response.headers)) {
    variant = await ctx.client
      .probe(finalUrl, { headers: COMPRESSED, signal, decode: true })
      .catch((error: unknown) => describeError(error));
  }
  const variantStale =
    typeof variant === 'string' ||
    (variant?.decoded !== undefined && (variant.status !== 200 || variant.sha256 !== sha256));

  const origin =
    ctx.origin === undefined
      ? undefined
      : await checkOrigin(ctx.origin, finalUrl, { sha256 }, { signal, variantStale });
  const originState: OriginState = origin?.state ?? 'unchecked';
  // Why an ETag is not the one the changed file must now have: the origin's ETag is the cause
  // when it is the wrong one; else the edge's (the purge, an old object).
  const originWhy =
    origin === undefined
      ? undefined
      : explainServedEtag(ctx.model, target.path, origin.etag, 'origin');
  const etag = response.headers.etag;
  const lastModified = response.headers['last-modified'];
  const why = () => originWhy ?? explainServedEtag(ctx.model, target.path, etag, 'edge');

  // Validators matter once the new bytes are there: every validator a client may still hold
  // with the old bytes (recorded with the baseline, or seen before the purge) must get 200.
  const validators: Check[] = [];
  if (bodyFresh) {
    const recorded =
      ctx.held !== undefined && Object.hasOwn(ctx.held, target.url)
        ? ctx.held[target.url]
        : undefined;
    const old = oldValidators(target, before, recorded, { etag, lastModified });
    for (const tag of old.etags) {
      if (tag.mustChange) {
        const changed = etagChangedCheck(
          finalUrl,
          tag.value,
          etag,
          sameEtag(etag, tag.value) ? why() : undefined,
        );
        validators.push(changed);
        // The validator did not change: asking with it can only get 304.
        if (!changed.ok) {
          finals.add(changed);
          continue;
        }
      }
      const answer = await ctx.client
        .probe(finalUrl, { headers: { ...IDENTITY, 'if-none-match': tag.value }, signal })
        .catch((error: unknown) => describeError(error));
      validators.push(
        typeof answer === 'string'
          ? requestFailed('conditional-etag', finalUrl, sha256, answer)
          : withWhy(
              conditionalEtagCheck(finalUrl, sha256, tag.value, answer, describeOld('ETag', tag)),
              why(),
            ),
      );
    }
    for (const date of old.dates) {
      const answer = await ctx.client
        .probe(finalUrl, { headers: { ...IDENTITY, 'if-modified-since': date.value }, signal })
        .catch((error: unknown) => describeError(error));
      const check =
        typeof answer === 'string'
          ? requestFailed('conditional-date', finalUrl, sha256, answer)
          : conditionalDateCheck(
              finalUrl,
              sha256,
              date.value,
              answer,
              lastModified,
              describeOld('Last-Modified', date),
            );
      validators.push(check);
      if (!check.ok && lastModifiedKept(date.value, lastModified)) finals.add(check);
    }
  }

  const hint = originState === 'fresh' ? PURGE_MISSED : undefined;
  const checks: Check[] = [];
  if (origin !== undefined) checks.push(withWhy(origin.check, originWhy));
  const redirect = redirectCheck(target.url, edge);
  if (redirect !== undefined) checks.push(redirect);
  checks.push(withWhy(bodyCheck(finalUrl, sha256, response, previous, hint), bodyWhy(target, why)));
  if (typeof variant === 'string') checks.push(variantErrorCheck(finalUrl, sha256, variant));
  else if (variant !== undefined) {
    const check = variantCheck(finalUrl, sha256, variant, previous, hint);
    if (check !== undefined) checks.push(check);
  }
  checks.push(...validators);
  // The policy applies to the new release's response, not to an old object still cached.
  if (bodyFresh) {
    for (const check of policyChecks(
      finalUrl,
      target.path,
      response.headers['cache-control'],
      ctx.policy,
    )) {
      checks.push(check);
      if (!check.ok && check.severity === 'error') finals.add(check);
    }
  }

  const edgeStale =
    !bodyFresh || variantStale || validators.some((check) => !check.ok && !finals.has(check));
  const inspection = conclude(checks, finals, originState, edgeStale ? 'stale' : 'fresh', edge);
  if (!bodyFresh || (etag === undefined && lastModified === undefined)) return inspection;
  return {
    ...inspection,
    validators: {
      ...(etag === undefined ? {} : { etag }),
      ...(lastModified === undefined ? {} : { lastModified }),
    },
  };
}

/** A changed file's stale body: the ETag says which copy is served (an added one has none). */
function bodyWhy(
  target: Extract<VerifyTarget, { kind: 'serves' }>,
  why: () => string | undefined,
): string | undefined {
  return target.changed ? why() : undefined;
}

async function inspectRemoved(
  ctx: InspectContext,
  target: VerifyTarget,
  edge: Followed,
): Promise<Inspection> {
  const { finalUrl } = edge;
  const origin =
    ctx.origin === undefined
      ? undefined
      : await checkOrigin(ctx.origin, finalUrl, 'gone', { signal: ctx.signal });
  const originState: OriginState = origin?.state ?? 'unchecked';
  const checks: Check[] = origin === undefined ? [] : [origin.check];
  const redirect = redirectCheck(target.url, edge);
  if (redirect !== undefined) checks.push(redirect);
  const removed = removedCheck(
    finalUrl,
    edge.response,
    originState === 'fresh' ? PURGE_MISSED : undefined,
  );
  checks.push(removed);
  return conclude(checks, new Set(), originState, removed.ok ? 'fresh' : 'stale', edge);
}

/** The edge could not be asked at all: one failed check, and the origin's when configured. */
async function unreachable(
  ctx: InspectContext,
  target: VerifyTarget,
  error: string,
): Promise<Inspection> {
  const expected = target.kind === 'removed' ? 'gone' : { sha256: target.sha256 };
  const origin =
    ctx.origin === undefined
      ? undefined
      : await checkOrigin(ctx.origin, target.url, expected, { signal: ctx.signal });
  const checks: Check[] = origin === undefined ? [] : [origin.check];
  checks.push(
    target.kind === 'removed'
      ? failed('removed', target.url, '404 or 410', error, `request failed: ${error}`)
      : requestFailed('body', target.url, target.sha256, error),
  );
  const fresh = false;
  return {
    checks,
    fresh,
    final: false,
    diagnosis: diagnose(origin?.state ?? 'unchecked', 'unreachable', fresh),
    cache: {},
  };
}

function conclude(
  checks: readonly Check[],
  finals: ReadonlySet<Check>,
  origin: OriginState,
  edge: EdgeState,
  followed: Followed,
): Inspection {
  const fresh = checks.every((check) => check.ok || check.severity !== 'error');
  return {
    checks,
    fresh,
    final: !fresh && finals.size > 0,
    diagnosis: diagnose(origin, edge, fresh),
    cache: cacheHeaders(followed.response.headers),
    ...(followed.hops.length > 0 ? { finalUrl: followed.finalUrl } : {}),
  };
}

function cacheHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of CACHE_HEADERS) {
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
