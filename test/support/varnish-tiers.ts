/**
 * Two Varnish tiers on loopback for the shield tests: nginx serving a directory, an inner
 * Varnish (the shield) in front of it, and an outer Varnish (the edge) in front of the inner,
 * both running examples/varnish/edgepurge.vcl unchanged but for the backend port. Built from
 * the system stack's own starters (src/demo/), each server in its own process group and every
 * file in one temp dir, so `stop()` leaves nothing behind.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { startProcessGroup } from '../../src/demo/processes.ts';
import { startNginx } from '../../src/demo/start-nginx.ts';
import { startVarnish } from '../../src/demo/start-varnish.ts';
import { EXAMPLE_VCL } from '../../src/demo/system-stack.ts';
import { locateTools } from '../../src/demo/system-tools.ts';

export interface VarnishTiers {
  /** nginx: `http://127.0.0.1:<port>`. */
  readonly originUrl: string;
  /** The shield: Varnish in front of nginx. */
  readonly innerUrl: string;
  /** The edge: Varnish in front of the shield; what visitors reach. */
  readonly outerUrl: string;
  readonly outerPort: number;
  /** Stops the three servers and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Starts nginx serving `root`, the inner Varnish before it and the outer before that. */
export async function startVarnishTiers(root: string): Promise<VarnishTiers> {
  const found = locateTools();
  if (!found.ok) throw new Error(`end-to-end stack unavailable: ${found.reason}`);
  const group = await startProcessGroup('edgepurge-tiers-');
  const { dir, stop } = group;
  try {
    const origin = await startNginx(found.tools, dir, path.resolve(root));
    group.add(origin.proc);
    // Each Varnish needs its own working dir and VCL copy (startVarnish writes both in `dir`).
    const innerDir = path.join(dir, 'inner');
    const outerDir = path.join(dir, 'outer');
    await mkdir(innerDir);
    await mkdir(outerDir);
    const inner = await startVarnish(found.tools, innerDir, EXAMPLE_VCL, origin.port);
    group.add(inner.proc);
    const outer = await startVarnish(found.tools, outerDir, EXAMPLE_VCL, inner.port);
    group.add(outer.proc);
    return {
      originUrl: `http://127.0.0.1:${origin.port}`,
      innerUrl: `http://127.0.0.1:${inner.port}`,
      outerUrl: `http://127.0.0.1:${outer.port}`,
      outerPort: outer.port,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
