// The GitHub Action's entry (action.yml `runs.main`, bundled into dist/action.js): runs the
// Action with the runner's environment and sets the exit code. Nothing else runs at import.
import { getInput } from '@actions/core';
import { stopOnInterrupt } from '../interrupt.ts';
import { runAction } from './run-action.ts';

const controller = new AbortController();
// A cancelled run gets SIGINT, then SIGTERM after 7,500 ms, then its process tree is killed
// 2,500 ms later (https://docs.github.com/en/actions/reference/workflow-cancellation-reference):
// stop cleanly on SIGINT (no baseline past an unverified purge), and exit on our own before the
// runner's SIGTERM if a stage has not stopped by then.
stopOnInterrupt({
  controller,
  graceMs: 7000,
  stderr: process.stderr,
  exit: (code) => process.exit(code),
  on: (signal, listener) => process.on(signal, listener),
});

process.exitCode = await runAction({
  env: process.env,
  getInput: (name) => getInput(name),
  signal: controller.signal,
});
