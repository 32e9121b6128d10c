#!/usr/bin/env node
// The CLI entry. From a checkout, Node 24 runs it over the TypeScript sources (type stripping);
// `npm run build` bundles it into dist/cli.js, the `bin` of the published package.
import { main } from '../src/cli/main.ts';

// How long a command may take to stop once interrupted before the process exits without it.
// Every stage takes the signal (reads, the hook, the purge, the verify), so this is a bound,
// not the usual path; it is safe because nothing edgepurge writes can be left half-written:
// the baseline is replaced by an atomic rename, the journal's torn last line is ignored, and
// the deploy lock is removed when the process exits.
const GRACE_MS = 2000;

const controller = new AbortController();
let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    // First signal: stop cleanly (no baseline is written past an unverified purge); a second
    // one, or a command still running after the grace period: exit now, 130 as a shell would.
    if (++interrupts > 1) stopNow(`${signal} again`);
    controller.abort(new Error(`received ${signal}`));
    setTimeout(() => stopNow(`${signal}, not stopped within ${GRACE_MS} ms`), GRACE_MS).unref();
  });
}

function stopNow(why) {
  process.stderr.write(`edgepurge: interrupted (${why}); exiting now\n`);
  process.exit(130);
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
