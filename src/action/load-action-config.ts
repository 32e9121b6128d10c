import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  CONFIG_FILE_NAMES,
  loadConfig,
  type OverrideLabels,
  type ResolvedConfig,
} from '../config/load-config.ts';
import { InputError } from '../errors.ts';
import type { ActionEvent } from './read-event.ts';
import type { ActionInputs } from './read-inputs.ts';

/** How config errors name what the workflow set: the Action's inputs, not the CLI's flags. */
export const INPUT_LABELS: OverrideLabels = {
  dir: 'dir',
  baseUrl: 'base-url',
  baseline: 'baseline',
  saveBaseline: 'baseline',
  fix: 'fix',
  environment: 'environment',
  connectTo: 'connect-to',
  timeoutSeconds: 'timeout',
};

/**
 * The config the Action runs with, resolved as the CLI resolves it: the file (input `config`,
 * else edgepurge.config.json / .yaml / .yml in the workspace) → EDGEPURGE_* variables → the
 * inputs. Errors name the input that set a wrong value. On a `deployment` event without the
 * `environment` input, the deployment's own environment is the one deployed to (its statuses
 * and the baseline folder follow it).
 */
export async function loadActionConfig(
  inputs: ActionInputs,
  env: NodeJS.ProcessEnv,
  workspace: string,
  event?: Pick<ActionEvent, 'deploymentEnvironment'>,
): Promise<ResolvedConfig> {
  const fromEvent = inputs.environment === undefined ? event?.deploymentEnvironment : undefined;
  if (inputs.config !== undefined && !existsSync(resolve(workspace, inputs.config))) {
    throw new InputError('E_CONFIG_NOT_FOUND', `input "config": ${inputs.config} does not exist`, {
      at: 'config',
      hint: `the path is relative to the workspace (${workspace}); check out the repository first (actions/checkout)`,
    });
  }
  if (
    inputs.config === undefined &&
    !CONFIG_FILE_NAMES.some((n) => existsSync(resolve(workspace, n)))
  ) {
    throw new InputError(
      'E_CONFIG_NOT_FOUND',
      `no edgepurge.config.json, .yaml or .yml in the workspace ${workspace}`,
      {
        at: 'config',
        hint: 'set the `config` input to your config file, or add edgepurge.config.json at the repository root (see README)',
      },
    );
  }
  return loadConfig({
    configPath: inputs.config,
    cwd: workspace,
    env,
    overrides: {
      dir: inputs.dir,
      baseUrl: inputs.baseUrl,
      baseline: inputs.baseline,
      fix: inputs.fix,
      environment: inputs.environment ?? fromEvent,
      connectTo: inputs.connectTo.length > 0 ? inputs.connectTo : undefined,
    },
    labels:
      fromEvent === undefined
        ? INPUT_LABELS
        : { ...INPUT_LABELS, environment: "the deployment event's environment" },
  });
}
