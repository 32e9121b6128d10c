import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from './run-process.ts';

/** The Action's entry from the sources (Node 24 strips the types), for in-repo tests. */
export const ACTION_SOURCE = fileURLToPath(new URL('../../src/action/main.ts', import.meta.url));

/** A runner's per-job files: where the step writes outputs, summary, temp files and reads its event. */
export interface RunnerFiles {
  readonly root: string;
  readonly workspace: string;
  readonly temp: string;
  readonly output: string;
  readonly summary: string;
  readonly event: string;
}

/** Fresh runner folders under `root` (workspace, RUNNER_TEMP), with empty output and summary files. */
export async function runnerFiles(root?: string): Promise<RunnerFiles> {
  const base = root ?? (await mkdtemp(join(tmpdir(), 'edgepurge-runner-')));
  const files = {
    root: base,
    workspace: join(base, 'workspace'),
    temp: join(base, 'temp'),
    output: join(base, 'temp', 'output.txt'),
    summary: join(base, 'temp', 'summary.md'),
    event: join(base, 'temp', 'event.json'),
  };
  await mkdir(files.workspace, { recursive: true });
  await mkdir(files.temp, { recursive: true });
  await writeFile(files.output, '');
  await writeFile(files.summary, '');
  return files;
}

export interface ActionRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** `$GITHUB_OUTPUT` parsed as the runner parses it. */
  readonly outputs: Record<string, string>;
  readonly summary: string;
}

/**
 * Runs the Action as the runner does: `node <script>` with `INPUT_<NAME>` (upper-cased, hyphens
 * kept), the GITHUB_* and RUNNER_TEMP variables, cwd = the workspace, no TTY. The output and
 * summary files are emptied first, as each step gets its own.
 */
export async function runAction(options: {
  readonly script?: string;
  readonly files: RunnerFiles;
  readonly inputs?: Readonly<Record<string, string>>;
  readonly event?: { readonly name: string; readonly payload?: unknown };
  readonly env?: NodeJS.ProcessEnv;
}): Promise<ActionRun> {
  const { files } = options;
  await writeFile(files.output, '');
  await writeFile(files.summary, '');
  await writeFile(files.event, JSON.stringify(options.event?.payload ?? {}));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: files.workspace,
    RUNNER_TEMP: files.temp,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_EVENT_NAME: options.event?.name ?? 'push',
    GITHUB_EVENT_PATH: files.event,
    GITHUB_SHA: 'a'.repeat(40),
    GITHUB_REPOSITORY: 'acme/site',
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_RUN_ID: '4242',
    ...Object.fromEntries(
      Object.entries(options.inputs ?? {}).map(([name, value]) => [
        `INPUT_${name.toUpperCase()}`,
        value,
      ]),
    ),
    ...options.env,
  };
  const { code, stdout, stderr } = await spawnNode(options.script ?? ACTION_SOURCE, env, files);
  return {
    code,
    stdout,
    stderr,
    outputs: parseOutputFile(await readFile(files.output, 'utf8')),
    summary: await readFile(files.summary, 'utf8'),
  };
}

function spawnNode(script: string, env: NodeJS.ProcessEnv, files: RunnerFiles) {
  return runProcess(process.execPath, [script], { cwd: files.workspace, env });
}

/**
 * `$GITHUB_OUTPUT` as the runner reads it: `name=value` lines, or `name<<DELIMITER`, the value's
 * lines, then the delimiter alone on a line
 * (docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#multiline-strings).
 */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc !== null) {
      const [, name = '', delimiter] = heredoc;
      const end = lines.indexOf(delimiter as string, i + 1);
      if (end === -1) throw new Error(`GITHUB_OUTPUT: ${name} has no closing ${delimiter}`);
      out[name] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`GITHUB_OUTPUT: malformed line ${JSON.stringify(line)}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}
