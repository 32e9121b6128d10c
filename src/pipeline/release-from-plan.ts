import type { ResolvedConfig } from '../config/load-config.ts';
import { InputError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { baselineDigest, providersDigest, releaseDigest } from '../plan/plan-digests.ts';
import type { PlannedProvider } from '../plan/plan-purges.ts';
import type { BaselineStore } from './baseline-store.ts';
import { type Release, readRelease } from './deploy.ts';
import { type PlanDocument, purgePlanOf } from './plan-document.ts';

/** A plan document to apply, and the flag or input its path came from (errors name it). */
export interface AppliedPlan {
  readonly document: PlanDocument;
  readonly at: string;
}

/**
 * The release `deploy --plan` executes: the tree re-scanned and the baseline re-read, checked
 * against the document's digests, with the document's own purge plan — never a new one. When the
 * providers, the base URL, the origin setting, the baseline or the tree no longer match, an
 * InputError says which, before anything is touched, run or sent. The origin decision is the
 * document's (no probe): the touch it implies is part of the release digest.
 */
export async function releaseFromPlan(
  config: ResolvedConfig,
  applied: AppliedPlan,
  providers: readonly PlannedProvider[],
  log: Logger,
  signal: AbortSignal | undefined,
  store: BaselineStore,
): Promise<Release> {
  const { document } = applied;
  const stale: string[] = [];
  const names = providers.map((provider) => provider.name).join(', ');
  const planned = document.providers.map((provider) => provider.provider).join(', ');
  if (providersDigest(config.providers) !== document.digests.providers || names !== planned)
    stale.push('the providers (their configuration changed)');
  if (config.baseUrl !== document.baseUrl)
    stale.push(`the base URL (${document.baseUrl} planned, ${config.baseUrl} configured)`);
  if (config.origin.validators !== document.origin.setting) {
    stale.push(
      `origin.validators (${document.origin.setting} planned, ${config.origin.validators} configured)`,
    );
  }
  if (stale.length > 0) refuse(applied, stale);

  const read = await readRelease(config, log, signal, store, { origin: document.origin });
  if (baselineDigest(read.hadBaseline ? read.previous : undefined) !== document.digests.baseline) {
    stale.push(
      read.hadBaseline
        ? `the baseline ${store.location} (another deploy saved a new one since)`
        : `the baseline ${store.location} (it is gone)`,
    );
  }
  if (releaseDigest(read.next, read.toTouch) !== document.digests.release) {
    // The same files with other touch decisions: `fix` or the files' mtimes changed, not bytes.
    stale.push(
      releaseDigest(read.next, document.touch) === document.digests.release
        ? `the files to fix (${document.touch.length} to touch planned, ${read.toTouch.length} now: was --fix or an mtime changed?)`
        : `the tree ${config.dir} (files changed since the plan)`,
    );
  }
  if (stale.length > 0) refuse(applied, stale);
  log.info(
    `plan: applying ${applied.at} as written (release ${document.digests.release.slice(0, 12)})`,
  );
  return { ...read, plan: purgePlanOf(document) };
}

function refuse(applied: AppliedPlan, stale: readonly string[]): never {
  throw new InputError(
    'E_PLAN_STALE',
    `the plan no longer matches: ${stale.join('; ')}; nothing was sent`,
    {
      at: applied.at,
      hint: 'run `edgepurge plan --out FILE` again, review it, and deploy that plan',
    },
  );
}
