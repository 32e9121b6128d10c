/** Starting Varnish, the system stack's edge, with a VCL pointed at the origin's port. */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PROBE_PATH, type Proc, probe, sleep, startProcess, stopProcess } from './processes.ts';
import type { Tools } from './system-tools.ts';

/** Points the example VCL's `backend default` at the test origin. */
function withBackendPort(vcl: string, port: number): string {
  const pattern = /(backend\s+default\s*\{[^}]*?\.port\s*=\s*")\d+(")/;
  if (!pattern.test(vcl)) {
    throw new Error('the VCL has no `backend default { … .port = "<n>"; }` to point at the origin');
  }
  return vcl.replace(pattern, `$1${port}$2`);
}

function varnishadm(tools: Tools, workdir: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      tools.varnishadm,
      ['-n', workdir, '-t', '2', command],
      { timeout: 5000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`varnishadm ${command}: ${error.message} ${stderr}`.trim()));
        else resolve(stdout);
      },
    );
  });
}

/** Starts varnishd with `vclPath` in front of `originPort` and resolves once it answers HTTP. */
export async function startVarnish(
  tools: Tools,
  dir: string,
  vclPath: string,
  originPort: number,
): Promise<{ proc: Proc; port: number; workdir: string }> {
  const workdir = path.join(dir, 'varnish');
  const vclFile = path.join(dir, 'edgepurge.vcl');
  await writeFile(vclFile, withBackendPort(await readFile(vclPath, 'utf8'), originPort));
  const proc = startProcess(tools.varnishd, [
    '-F',
    '-n',
    workdir,
    '-f',
    vclFile,
    // Port 0: the kernel picks; debug.listen_address tells us which.
    '-a',
    '127.0.0.1:0',
    '-T',
    '127.0.0.1:0',
    '-s',
    'malloc,64m',
    // Long default TTL so nothing expires mid-test; the VCL itself keeps Varnish's defaults.
    '-t',
    '3600',
    '-p',
    'vcc_allow_inline_c=off',
    // No privilege separation: as root it would compile and read the VCL as the varnish
    // user, who cannot read our 0700 temp dir. (Without root this is the default anyway.)
    '-j',
    'none',
  ]);
  const fail = async (why: string): Promise<never> => {
    await stopProcess(proc);
    throw new Error(`varnishd did not start (${why}):\n${proc.output().trim()}`);
  };
  const deadline = Date.now() + 20_000;
  // The manager prints this once the cache process runs; varnishadm before that just waits.
  while (!proc.output().includes('Child launched OK')) {
    if (!proc.isRunning()) return fail('exited');
    if (Date.now() > deadline) return fail('timed out');
    await sleep(20);
  }
  let port = 0;
  try {
    // "a0 127.0.0.1 41234"
    const listen = await varnishadm(tools, workdir, 'debug.listen_address');
    const match = /127\.0\.0\.1\s+(\d+)/.exec(listen);
    if (!match?.[1]) return fail(`unexpected debug.listen_address output: ${listen}`);
    port = Number(match[1]);
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
  while (!(await probe(`http://127.0.0.1:${port}${PROBE_PATH}`))) {
    if (!proc.isRunning()) return fail('exited');
    if (Date.now() > deadline) return fail('timed out waiting for HTTP');
    await sleep(20);
  }
  return { proc, port, workdir };
}
