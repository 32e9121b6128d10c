import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { checkWritable } from '../check-writable.ts';
import type { ResolvedConfig } from '../config/load-config.ts';
import { InputError, isEdgepurgeError } from '../errors.ts';
import { touchPackedFiles } from '../fix/touch-files.ts';
import type { Logger } from '../log.ts';
import type { ManifestDiff } from '../manifest/diff-manifests.ts';
import { diffPackedManifests } from '../manifest/diff-packed-manifests.ts';
import {
  emptyPackedManifest,
  knownPaths,
  type PackedManifest,
} from '../manifest/packed-manifest.ts';
import { scanDirPacked } from '../manifest/scan-dir.ts';
import { hardenObserved } from '../plan/harden-observed.ts';
import { countRequests, type PurgePlan, planPurges } from '../plan/plan-purges.ts';
import { softModeWarnings } from '../plan/purge-mode.ts';
import {
  createProviders,
  dryRunProvider,
  type Provider,
  type RecordedCall,
} from '../providers/index.ts';
import { acquireDeployLock, type DeployLock } from '../purge/deploy-lock.ts';
import { emptySummary, executePlan } from '../purge/execute-plan.ts';
import { releaseId, withoutApplied } from '../purge/journal.ts';
import { repurgeAfterOf } from '../purge/purge-rounds.ts';
import type { RetryPolicy } from '../purge/retry-policy.ts';
import { parseConnectTo } from '../verify/connect-to.ts';
import type { HttpClient } from '../verify/http-client.ts';
import { recordValidators } from '../verify/record-validators.ts';
import { snapshotUrls } from '../verify/snapshot.ts';
import { verifyTargets } from '../verify/targets.ts';
import { vantageFailure } from '../verify/vantage/vantage-report.ts';
import { emptyVerifyReport, type VerifyOptions, verifyRelease } from '../verify/verify-release.ts';
import { applyHashFix, saveHashHistory } from './apply-hash-fix.ts';
import { type BaselineStore, fileBaselineStore, stateBranchOf } from './baseline-store.ts';
import { checkpoint } from './checkpoint.ts';
import { decideOriginStyle, type OriginDecision } from './decide-origin-style.ts';
import {
  type DeployPorts,
  type HttpClientFactory,
  type ResolvedPorts,
  resolvePorts,
} from './deploy-ports.ts';
import { observeUnchangedValidators } from './observe-validators.ts';
import { type HashFix, planHashFix, purgeDiffOf } from './plan-hash-fix.ts';
import { type AppliedPlan, releaseFromPlan } from './release-from-plan.ts';
import { checkReleaseManifest, type ReleaseManifest } from './release-manifest.ts';
import type { DeployResult } from './result.ts';
import { withVantage } from './with-vantage.ts';

/** How one deploy runs, besides its collaborators (the ports). */
export interface DeployOptions {
  readonly dryRun: boolean;
  readonly signal: AbortSignal;
  /**
   * The collaborators, as one set: providers, baseline store, journal store, HTTP client
   * factory, clock, logger, redactor (deploy-ports.ts). The CLI, the Action and library users
   * each build theirs.
   */
  readonly ports: DeployPorts;
  /** Live verification progress (the CLI draws it on stderr). */
  readonly onVerifyProgress?: VerifyOptions['onProgress'];
  /** Retry policy for the purge (tests shorten the waits; default: the real one). */
  readonly retry?: RetryPolicy;
  /** Called once the upload is done, just before the edge is snapshotted and purged. */
  readonly onPurgeStart?: () => Promise<void>;
  /**
   * A plan document to apply exactly (`deploy --plan`): checked against the re-scanned tree,
   * the re-read baseline and the providers, never planned anew (see releaseFromPlan).
   */
  readonly plan?: AppliedPlan;
}

/**
 * The options deploy() took before the ports: the same collaborators, loose beside the run's
 * options. Still accepted; `ports` wins where both name one.
 */
export type PipelineOptions = Omit<DeployOptions, 'dryRun' | 'ports'> &
  Partial<Pick<DeployPorts, 'providers' | 'baselineStore' | 'env' | 'clock'>> & {
    readonly log: Logger;
    readonly ports?: DeployPorts;
  };

/** Everything decided before anything is changed: what plan prints, what deploy executes. */
export interface Release {
  /** The baseline, packed (an empty manifest without one). */
  readonly previous: PackedManifest;
  readonly hadBaseline: boolean;
  readonly next: PackedManifest;
  readonly diff: ManifestDiff;
  /** Files whose mtime the fix step changes. */
  readonly toTouch: readonly string[];
  readonly plan: PurgePlan;
  /** How the origin builds validators: what hazards and the touch follow. */
  readonly origin: OriginDecision;
  /**
   * `fix: "hash"`: the renames and rewrites planned on the scanned tree. `next` is then the
   * post-fix manifest (hashed names, rewritten bytes), which the diff and the plan are made from.
   */
  readonly hash?: HashFix;
}

/**
 * scan → diff → decide the fix → plan. Reads the disk and the baseline; writes and sends nothing.
 * `manifest` (`plan --manifest`) is the release instead of a scan of `config.dir`.
 */
export async function prepareRelease(
  config: ResolvedConfig,
  providers: readonly Provider[],
  log: Logger,
  signal?: AbortSignal,
  store: BaselineStore = defaultBaselineStore(config),
  httpClient?: HttpClientFactory,
  manifest?: ReleaseManifest,
): Promise<Release> {
  const read = await readRelease(config, log, signal, store, { httpClient, manifest });
  const { previous, next, diff } = read;
  const known = knownPaths(previous, next);
  // With content-hash names, new hashed URLs are new: verified, never purged.
  const plan = planPurges(
    read.hash === undefined ? diff : purgeDiffOf(diff, read.hash),
    providers,
    {
      baseUrl: config.baseUrl,
      urls: config.urls,
      known,
      strategy: config.purge,
      repurgeAfter: repurgeAfterOf(config.providers),
    },
  );
  for (const warning of softModeWarnings(plan.providers, config.purge.mode)) log.warn(warning);
  await checkpoint(signal);
  checkBudget(plan, config.purge.maxRequests);
  return { ...read, plan };
}

/**
 * scan → diff → decide the fix, without planning purges: what `prepareRelease` plans from and
 * what `deploy --plan` checks a plan document against. `origin` skips the origin's detection (a
 * plan document's decision); `manifest` is the release instead of a scan (not with the hash
 * fix, which reads the files). Reads the disk and the baseline; writes and sends nothing.
 */
export async function readRelease(
  config: ResolvedConfig,
  log: Logger,
  signal: AbortSignal | undefined,
  store: BaselineStore,
  options: {
    /** The origin's validator style, decided already (a plan document's decision). */
    readonly origin?: OriginDecision;
    readonly httpClient?: HttpClientFactory;
    /** The release as a manifest (`plan --manifest`), checked here, instead of a scan. */
    readonly manifest?: ReleaseManifest;
  } = {},
): Promise<Omit<Release, 'plan'>> {
  const { origin, httpClient, manifest } = options;
  // Before the baseline is read: a manifest the hash fix cannot use, or another site's, is
  // refused before any work.
  if (manifest !== undefined) checkReleaseManifest(config, manifest, log);
  const started = Date.now();
  const baseline = await store.read(signal);
  const scanned =
    manifest?.manifest ?? (await scanDirPacked(config.dir, { baseUrl: config.baseUrl, signal }));
  if (manifest === undefined)
    log.info(`scan: ${scanned.files.count} files in ${config.dir} (${Date.now() - started} ms)`);
  const previous = baseline ?? emptyPackedManifest();
  // Fix before plan (DESIGN.md): a hash fix changes URLs and bytes, so the diff is of its result.
  const hashed =
    config.fix === 'hash' ? await planHashFix(config, scanned, previous, log) : undefined;
  const next = hashed?.next ?? scanned;
  if (baseline === undefined)
    log.info(`baseline: none at ${store.location}; every file counts as added`);
  const decided =
    origin ?? (await decideOriginStyle(config, previous, next, log, signal, httpClient));
  const diff = diffPackedManifests(previous, next, { style: decided.style });
  // Diffing and planning are synchronous: let a signal that came meanwhile be seen.
  await checkpoint(signal);
  const hazards = diff.hazards.filter((h) => h.kind === 'validator-unchanged').map((h) => h.path);
  // A page the hash fix rewrites under its name is written now, maybe in the second the previous
  // release was: it is touched past it too, so its mtime-size validator surely changes.
  const changed = new Set(diff.changed);
  const rewritten = [...(hashed?.fix.plan.outputs ?? [])]
    .filter(([from, output]) => output.path === from && changed.has(from))
    .map(([from]) => from);
  const toTouch = config.fix === 'none' ? [] : [...new Set([...hazards, ...rewritten])].sort();
  return {
    previous,
    hadBaseline: baseline !== undefined,
    next,
    diff,
    toTouch,
    origin: decided,
    ...(hashed === undefined ? {} : { hash: hashed.fix }),
  };
}

/** The file store of a config whose baselines are files; a `github:` one must be injected. */
export function defaultBaselineStore(config: ResolvedConfig): BaselineStore {
  for (const [key, spec] of [
    ['baseline', config.baseline],
    ['saveBaseline', config.saveBaseline],
  ] as const) {
    if (stateBranchOf(spec) !== undefined) {
      throw new InputError('E_CONFIG', `${key} "${spec}" needs a GitHub baseline store`, {
        at: key,
        hint: 'library users: pass `baselineStore: await openBaselineStore(config, { env, log })` from edgepurge/github',
      });
    }
  }
  return fileBaselineStore(config.baseline, config.saveBaseline);
}

/** Refuses a plan over `purge.maxRequests` before anything is sent, naming how to raise it. */
function checkBudget(plan: PurgePlan, maxRequests: number | undefined): void {
  if (maxRequests === undefined) return;
  for (const provider of plan.providers) {
    if (provider.requests > maxRequests) {
      throw new InputError(
        'E_BUDGET',
        `the plan needs ${provider.requests} purge requests on ${provider.provider}, over purge.maxRequests (${maxRequests})`,
        {
          at: 'purge.maxRequests',
          hint: 'raise purge.maxRequests, or let prefixes, tags or a host purge collapse the plan (purge.maxCollateral, purge.tags, purge.everythingAbove)',
        },
      );
    }
  }
}

/**
 * The whole deploy: prepare, fix, upload hook, snapshot, purge, verify, and save the new
 * baseline only when verification passed. Returns the result; throws only for wrong input.
 */
export async function deploy(
  config: ResolvedConfig,
  options: DeployOptions | (PipelineOptions & { readonly dryRun: boolean }),
): Promise<DeployOutcome> {
  const ports = resolvePorts(config, portsOf(options));
  // The baseline and the purge journal must be writable before anything is changed.
  if (!options.dryRun) {
    if (stateBranchOf(config.saveBaseline) === undefined)
      await checkWritable(config.saveBaseline, 'saveBaseline');
    await checkWritable(config.journalPath, 'saveBaseline');
  }
  // A dry run or a plan sends nothing, so it needs no credentials.
  const own =
    ports.providers === undefined
      ? createProviders(config.providers, ports.env, {
          credentials: !options.dryRun,
          redactor: ports.redactor,
        })
      : undefined;
  const held: { lock?: DeployLock } = {};
  try {
    return await runDeploy(
      config,
      { ...options, ports },
      ports,
      ports.providers ?? own ?? [],
      held,
    );
  } finally {
    await Promise.all((own ?? []).map((provider) => provider.close?.()));
    await held.lock?.release();
  }
}

/** The ports of either form of options: `ports`, else the loose collaborators. */
function portsOf(options: DeployOptions | PipelineOptions): DeployPorts {
  const loose = options as Partial<PipelineOptions>;
  const log = options.ports?.log ?? (loose.log as Logger);
  return {
    providers: loose.providers,
    baselineStore: loose.baselineStore,
    env: loose.env,
    clock: loose.clock,
    ...options.ports,
    log,
  };
}

export type DeployOutcome = DeployResult & {
  readonly plan: PurgePlan;
  readonly dryRunCalls?: readonly RecordedCall[];
};

async function runDeploy(
  config: ResolvedConfig,
  options: DeployOptions,
  ports: ResolvedPorts,
  real: readonly Provider[],
  held: { lock?: DeployLock },
): Promise<DeployOutcome> {
  const { signal } = options;
  const { log } = ports;
  const calls: RecordedCall[] = [];
  const providers = options.dryRun ? real.map((provider) => dryRunProvider(provider, calls)) : real;
  if (providers.length === 0) log.warn('no providers configured: nothing will be purged');

  const store = ports.baselineStore ?? defaultBaselineStore(config);
  const applied = options.plan;
  const prepare = () =>
    applied === undefined
      ? prepareRelease(config, providers, log, signal, store, ports.httpClient)
      : releaseFromPlan(config, applied, providers, log, signal, store);
  let release = await prepare();
  if (!options.dryRun) {
    // One deploy at a time per baseline, from here on, where changes begin (the scan and the
    // plan above only read, so bad input is refused without writing anything). The lock sits
    // beside the journal it protects. Another deploy held it: its baseline is the one to diff.
    await mkdir(dirname(config.journalPath), { recursive: true });
    held.lock = await acquireDeployLock(`${config.journalPath}.lock`, {
      log,
      signal,
      clock: ports.clock,
    });
    if (held.lock.waited) release = await prepare();
  }
  const { diff, plan } = release;
  const base = {
    dryRun: options.dryRun,
    diff: {
      added: diff.added,
      changed: diff.changed,
      removed: diff.removed,
      unchanged: diff.unchanged,
      hazards: diff.hazards,
    },
    origin: release.origin,
    upload: { ran: false, command: config.hooks.upload },
    baseline: { saved: false, path: store.location },
    plan,
  };
  const noPurge = emptySummary();
  const noVerify = emptyVerifyReport(false);
  log.info(
    `diff: ${diff.added.length} added, ${diff.changed.length} changed, ${diff.removed.length} removed, ${diff.unchanged} unchanged`,
  );
  for (const hazard of diff.hazards) log.info(`hazard: ${hazard.path}: ${hazard.kind}`);

  const hash = release.hash;
  if (hash !== undefined) {
    const would = options.dryRun ? 'would ' : '';
    for (const { from, to } of hash.plan.renames) log.info(`hash: ${would}rename ${from} → ${to}`);
    for (const { path } of hash.plan.rewrites) log.info(`hash: ${would}rewrite ${path}`);
    for (const path of hash.restore) log.info(`hash: ${would}keep ${path} (an earlier release's)`);
    for (const path of hash.expire) log.info(`hash: ${would}remove ${path} (expired)`);
    if (!options.dryRun) await applyHashFix(config.dir, hash);
  }
  const touched = await touchPackedFiles(config.dir, release.next, release.toTouch, {
    dryRun: options.dryRun,
    style: release.origin.style,
    previous: release.previous,
  });
  for (const path of touched.touched)
    log.info(`${options.dryRun ? 'would touch' : 'touched'}: ${path}`);
  const fixed = {
    touched: touched.touched,
    ...(hash === undefined
      ? {}
      : {
          renamed: hash.plan.renames,
          rewritten: hash.plan.rewrites.map((rewrite) => rewrite.path),
        }),
  };
  // What was written is the release: the tree re-scanned after a hash fix (real mtimes).
  const releaseManifest =
    hash === undefined || options.dryRun
      ? touched.manifest
      : await scanDirPacked(config.dir, { baseUrl: config.baseUrl, signal });

  /** The one shape of a failed run: what got done before it stopped, and why it stopped. */
  const failed = (
    error: NonNullable<DeployResult['error']>,
    done: Partial<Pick<DeployResult, 'purge' | 'verify'>> = {},
  ): DeployOutcome => ({
    ok: false,
    ...base,
    fixed,
    purge: done.purge ?? noPurge,
    verify: done.verify ?? noVerify,
    error,
  });

  if (options.dryRun) {
    await executePlan(plan, providers, { signal, log });
    return {
      ok: true,
      ...base,
      fixed,
      purge: noPurge,
      verify: emptyVerifyReport(true),
      dryRunCalls: calls,
    };
  }

  try {
    if (config.hooks.upload !== undefined) {
      log.info(`upload: ${config.hooks.upload}`);
      // Loaded only to run a hook: zx costs every `plan` and dry run ~0.14 s of start-up.
      const { runUploadHook } = await import('./run-upload-hook.ts');
      await runUploadHook(
        config.hooks.upload,
        dirname(config.configPath),
        log,
        signal,
        config.hooks.timeoutSeconds,
      );
      base.upload.ran = true;
    }
  } catch (error) {
    if (!isEdgepurgeError(error)) throw error;
    return failed({ code: error.code, message: error.message, hint: error.hint });
  }

  const targets = verifyTargets(
    diff,
    releaseManifest,
    config.baseUrl,
    config.urls,
    new Set(touched.touched),
  );
  const client = ports.httpClient({
    connectTo: parseConnectTo(config.verify.connectTo),
    connections: config.verify.concurrency,
  });
  // The origin is asked directly (no connect-to rules): its own pool.
  const originClient: HttpClient | undefined =
    config.verify.origin === undefined
      ? undefined
      : ports.httpClient({ connections: config.verify.concurrency });
  try {
    await options.onPurgeStart?.();
    const changedUrls = targets.filter((t) => t.kind === 'serves' && t.changed).map((t) => t.url);
    const snapshots = await snapshotUrls(client, changedUrls, {
      concurrency: config.verify.concurrency,
      signal,
    });
    if (changedUrls.length > 0)
      log.info(`snapshot: ${snapshots.size}/${changedUrls.length} URLs before purging`);
    // purge.mode: where the origin (verify.origin), asked now the upload is done, still sends the
    // validator the edge holds, a planned soft purge would revalidate to 304: it goes hard.
    const observed =
      originClient !== undefined && config.verify.origin !== undefined
        ? hardenObserved(
            plan,
            await observeUnchangedValidators(
              plan,
              snapshots,
              { client: originClient, baseUrl: config.verify.origin },
              { concurrency: config.verify.concurrency, signal },
            ),
          )
        : { plan, hardened: 0 };
    if (observed.hardened > 0) {
      log.warn(
        `purge: ${observed.hardened} soft purges made hard: the origin still sends the validator the edge holds`,
      );
      base.plan = observed.plan;
    }

    // A run killed mid-purge left a journal: resume where it stopped, skipping nothing else.
    signal.throwIfAborted();
    const journal = await ports.journalStore.open(
      releaseId(release.previous, releaseManifest, JSON.stringify(config.providers)),
    );
    const resumed = withoutApplied(observed.plan, journal);
    if (resumed.skipped > 0) {
      log.info(
        `purge: resuming an interrupted run; ${resumed.skipped} targets were already purged`,
      );
    }
    const executed = await executePlan(resumed.plan, providers, {
      signal,
      log,
      journal,
      retry: options.retry,
      clock: ports.clock,
      maxWaitSeconds: config.purge.maxWaitSeconds,
    }).finally(() => journal.close());
    const purge = { ...executed, skipped: resumed.skipped };
    // Every entry applied: the journal has done its job. After a failure it stays for a resume.
    if (purge.failed.length === 0) await journal.remove();
    log.info(
      `purge: ${purge.requests} requests, ${purge.urls} URLs, ${countRequests(plan)} batches`,
    );
    if (purge.failed.length > 0) {
      for (const failure of purge.failed) log.warn(`purge failed: ${failure.error}`);
      const first = purge.failed[0] as (typeof purge.failed)[number];
      return failed({ code: first.code, message: first.error, hint: first.hint }, { purge });
    }

    const local = await verifyRelease(client, targets, snapshots, {
      onProgress: options.onVerifyProgress,
      timeoutMs: config.verify.timeoutSeconds * 1000,
      concurrency: config.verify.concurrency,
      signal,
      log,
      policy: config.policy,
      // The validators browsers hold (recorded when the baseline's release was verified), and
      // the origin's model, so a failing check says why an ETag is not the predicted one.
      held: release.previous.validators ?? {},
      model: {
        style: release.origin.style,
        release: releaseManifest,
        scanned: release.next,
        previous: release.previous,
      },
      ...(originClient !== undefined && config.verify.origin !== undefined
        ? { origin: { client: originClient, baseUrl: config.verify.origin } }
        : {}),
    });
    // verify.vantage: the same proof from probes elsewhere, once the runner's edge is fresh.
    const verify = await withVantage(config, local, {
      targets,
      manifest: releaseManifest,
      release: releaseId(release.previous, releaseManifest),
      env: ports.env,
      signal,
      log,
    });
    if (!verify.ok && verify.vantage?.ok === false) {
      return failed(vantageFailure(verify.vantage), { purge, verify });
    }
    if (!verify.ok) {
      return failed(
        {
          code: 'E_STALE',
          // Not only staleness: a cache-policy error fails at once, without polling.
          message: `${verify.stale.length} of ${verify.checked} URLs failed verification (stale, or against the cache policy; polled up to ${config.verify.timeoutSeconds}s)`,
          hint: 'the baseline was not saved; fix the cause and run deploy again',
        },
        { purge, verify },
      );
    }
    try {
      // The baseline records what the edge served for each URL: the validators browsers hold.
      await store.write(recordValidators(releaseManifest, release.previous, verify), signal);
      // The hash map history goes with the baseline it belongs to.
      if (hash !== undefined) await saveHashHistory(hash);
    } catch (error) {
      if (!isEdgepurgeError(error)) throw error;
      // Verified, but not recorded (a race on a github: baseline, an unwritable file): the next
      // deploy diffs against the older baseline and purges again, which is safe.
      return failed(
        { code: error.code, message: error.message, hint: error.hint },
        { purge, verify },
      );
    }
    log.info(`baseline: saved ${store.location}`);
    return {
      ok: true,
      ...base,
      fixed,
      purge,
      verify,
      baseline: { saved: true, path: store.location },
    };
  } finally {
    await Promise.all([client.close(), originClient?.close()]);
  }
}
