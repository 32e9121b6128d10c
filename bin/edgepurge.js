#!/usr/bin/env node
// The CLI entry. From a checkout, Node 24 runs it over the TypeScript sources (type stripping);
// `npm run build` bundles it into dist/cli.js, the `bin` of the published package.
import { main } from '../src/cli/main.ts';

const controller = new AbortController();
let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    // First signal: stop cleanly (no baseline is written past an unverified purge); second: now.
    if (++interrupts > 1) process.exit(130);
    controller.abort(new Error(`received ${signal}`));
  });
}

process.exitCode = await main(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  // `npm run edgepurge -- …` runs from the package root; INIT_CWD is where the user stood.
  cwd: (process.env.npm_lifecycle_event === 'edgepurge' && process.env.INIT_CWD) || process.cwd(),
  signal: controller.signal,
});
