import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.ts';

/** What the Action reads from the event that started the run (the repository: readRepoContext). */
export interface ActionEvent {
  /** `GITHUB_EVENT_NAME`: push, pull_request, workflow_dispatch, deployment, … */
  readonly name: string;
  /** The pull request's number on pull_request / pull_request_target events. */
  readonly pullRequest?: number;
  /** The deployment's id on deployment events. */
  readonly deploymentId?: number;
  /** The deployment's environment on deployment events: the run deploys to it. */
  readonly deploymentEnvironment?: string;
}

/** Events on which the Action sets a commit status (and, on `deployment`, a deployment status). */
export const STATUS_EVENTS: ReadonlySet<string> = new Set([
  'push',
  'workflow_dispatch',
  'deployment',
]);

/** Pull-request events, on which the plan is posted as a comment. */
export const PULL_REQUEST_EVENTS: ReadonlySet<string> = new Set([
  'pull_request',
  'pull_request_target',
]);

/**
 * Reads the event from the runner's environment and the payload file at `GITHUB_EVENT_PATH`
 * (https://docs.github.com/en/actions/reference/workflows-and-actions/variables). A payload that
 * cannot be read is an input error: the runner always writes one.
 */
export async function readEvent(env: NodeJS.ProcessEnv): Promise<ActionEvent> {
  const name = env.GITHUB_EVENT_NAME ?? '';
  const payload = await readPayload(env.GITHUB_EVENT_PATH);
  const pullRequest =
    numberAt(payload, ['pull_request', 'number']) ?? numberAt(payload, ['number']);
  return {
    name,
    pullRequest: PULL_REQUEST_EVENTS.has(name) ? pullRequest : undefined,
    deploymentId: name === 'deployment' ? numberAt(payload, ['deployment', 'id']) : undefined,
    deploymentEnvironment:
      name === 'deployment' ? stringAt(payload, ['deployment', 'environment']) : undefined,
  };
}

async function readPayload(path: string | undefined): Promise<unknown> {
  if (path === undefined || path === '') return {};
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new InputError(
      'E_EVENT',
      `cannot read the event payload ${path}: ${(error as Error).message}`,
      {
        at: 'GITHUB_EVENT_PATH',
        hint: 'the runner writes it; outside Actions, unset GITHUB_EVENT_PATH or point it at a JSON file',
      },
    );
  }
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let at: unknown = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

function numberAt(value: unknown, path: readonly string[]): number | undefined {
  const at = valueAt(value, path);
  return typeof at === 'number' && Number.isInteger(at) ? at : undefined;
}

function stringAt(value: unknown, path: readonly string[]): string | undefined {
  const at = valueAt(value, path);
  return typeof at === 'string' && at !== '' ? at : undefined;
}
