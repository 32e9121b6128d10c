import { verifyReleaseFiles } from '../pipeline/verify-release-files.ts';
import { renderMarkdown } from '../report/render-markdown.ts';
import { verifyOutputs } from './action-outputs.ts';
import type { StepContext, StepOutcome } from './step.ts';

/**
 * The verify step: the CLI's `verify` without a previous manifest: every file of `dir` is
 * checked, or with the `shard` input (`verify --shard I/N`) a deterministic 1/N of the URLs. A
 * shard's JSON document, summary and log say which part it checked, as the CLI's report does.
 */
export async function verifyStep(context: StepContext): Promise<StepOutcome> {
  const { config, inputs, log, signal, env } = context;
  const shard = inputs.shard;
  // One shard's verdict is not the release's: N jobs setting the one status context
  // edgepurge/<environment> would race, the last to finish winning. The merge decides.
  const github = shard === undefined ? context.github : undefined;
  if (shard !== undefined)
    log.info(
      `shard ${shard.index}/${shard.count}: no commit status (one shard's verdict is not the release's; \`edgepurge report merge\` gives it)`,
    );
  await github?.started(`verifying ${config.environment}`);
  // env: GLOBALPING_TOKEN, when the config has verify.vantage.
  const report = await verifyReleaseFiles(config, {
    signal,
    log,
    env,
    ...(shard === undefined ? {} : { shard }),
  });
  const outputs = {
    ok: report.ok,
    changed: 0,
    purgedUrls: 0,
    requests: 0,
    ...verifyOutputs(report),
    baselineSaved: false,
  };
  await github?.finished(
    report.ok ? 'success' : 'failure',
    report.ok
      ? `verified: ${outputs.verified} URLs fresh`
      : `failed: ${report.stale.length} of ${report.checked} URLs stale`,
  );
  return {
    ok: report.ok,
    document: report,
    outputs,
    summary: renderMarkdown(report),
    verify: report,
    ...(report.ok
      ? {}
      : {
          error: {
            code: 'E_STALE',
            message: `${report.stale.length} of ${report.checked} URLs failed verification`,
            hint: 'the step summary lists each URL with its diagnosis',
          },
        }),
  };
}
