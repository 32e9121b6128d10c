/**
 * A real edge on loopback, for the end-to-end tests and `edgepurge demo --stack system`: nginx serving a directory (the origin) behind
 * Varnish running examples/varnish/edgepurge.vcl unchanged except for the backend port.
 *
 * Everything lives in one temp dir (configs, pid files, logs, Varnish's working dir) and both
 * servers run in the foreground in their own process groups, so `stop()` can end them and
 * everything they forked, and nothing is left behind when a test fails.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcessGroup } from './processes.ts';
import { startNginx } from './start-nginx.ts';
import { startVarnish } from './start-varnish.ts';
import { locateTools } from './system-tools.ts';

export interface SystemStack {
  /** nginx, serving `root` directly: `http://127.0.0.1:<originPort>`. */
  originUrl: string;
  /** Varnish in front of nginx: `http://127.0.0.1:<edgePort>`. */
  edgeUrl: string;
  originPort: number;
  edgePort: number;
  /** The directory nginx serves. */
  root: string;
  /** Stops both servers (whole process groups) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Varnish's shared-memory log so far (`varnishlog -d -g request`), for failure messages. */
  varnishLog?(): Promise<string>;
}

/** The VCL users deploy; the stack loads it unchanged except for the backend port. */
export const EXAMPLE_VCL = fileURLToPath(
  new URL('../../examples/varnish/edgepurge.vcl', import.meta.url),
);

/** Whether nginx, varnishd/varnishadm and the xkey vmod are installed. */
export function e2eAvailability(): { ok: true } | { ok: false; reason: string } {
  const found = locateTools();
  return found.ok ? { ok: true } : found;
}

/**
 * Starts nginx serving `opts.root` and Varnish (`opts.vclPath`, by default the example VCL) in
 * front of it, both on 127.0.0.1 with ephemeral ports, and resolves once both answer HTTP.
 */
export async function startSystemStack(opts: {
  root: string;
  vclPath?: string;
}): Promise<SystemStack> {
  const found = locateTools();
  if (!found.ok) throw new Error(`end-to-end stack unavailable: ${found.reason}`);
  const { tools } = found;
  const root = path.resolve(opts.root);
  const group = await startProcessGroup('edgepurge-stack-');
  const { dir, stop } = group;
  try {
    const origin = await startNginx(tools, dir, root);
    group.add(origin.proc);
    const edge = await startVarnish(tools, dir, opts.vclPath ?? EXAMPLE_VCL, origin.port);
    group.add(edge.proc);
    const { varnishlog } = tools;
    const stack: SystemStack = {
      originUrl: `http://127.0.0.1:${origin.port}`,
      edgeUrl: `http://127.0.0.1:${edge.port}`,
      originPort: origin.port,
      edgePort: edge.port,
      root,
      stop,
    };
    if (varnishlog) {
      stack.varnishLog = () =>
        new Promise((resolve) => {
          execFile(
            varnishlog,
            ['-n', edge.workdir, '-d', '-g', 'request'],
            { timeout: 5000, maxBuffer: 16 * 1024 * 1024 },
            (error, stdout) =>
              resolve(error ? `${stdout}\n(varnishlog: ${error.message})` : stdout),
          );
        });
    }
    return stack;
  } catch (error) {
    await stop();
    throw error;
  }
}
