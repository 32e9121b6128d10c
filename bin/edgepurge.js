#!/usr/bin/env node
// The CLI entry. From a checkout, Node 24 runs it over the TypeScript sources (type stripping);
// `npm run build` bundles it into dist/cli.js, the `bin` of the published package.
import { main } from '../src/cli/main.ts';
import { stopOnInterrupt } from '../src/interrupt.ts';

// The CLI stops within 2 s of Ctrl-C (see stopOnInterrupt: every stage takes the signal, so
// this is a bound, not the usual path).
const controller = new AbortController();
stopOnInterrupt({
  controller,
  graceMs: 2000,
  stderr: process.stderr,
  exit: (code) => process.exit(code),
  on: (signal, listener) => process.on(signal, listener),
});

process.exitCode = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  // `npm run edgepurge -- …` runs from the package root; INIT_CWD is where the user stood.
  cwd: (process.env.npm_lifecycle_event === 'edgepurge' && process.env.INIT_CWD) || process.cwd(),
  signal: controller.signal,
});
