// The GitHub Action's entry (action.yml `runs.main`, bundled into dist/action.js): runs the
// Action with the runner's environment and sets the exit code. Nothing else runs at import.
import { getInput } from '@actions/core';
import { runAction } from './run-action.ts';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // A cancelled run gets SIGINT, then SIGTERM: stop cleanly, no baseline past an unverified purge.
  process.once(signal, () => controller.abort(new Error(`received ${signal}`)));
}

process.exitCode = await runAction({
  env: process.env,
  getInput: (name) => getInput(name),
  signal: controller.signal,
});
