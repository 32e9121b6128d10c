/**
 * Locating the system stack's tools: nginx, varnishd, varnishadm, varnishlog and the xkey vmod.
 */
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

const SYSTEM_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SYSTEM_DIRS];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

/** Where a packaged Varnish keeps its vmods: ${libdir}/varnish/vmods, libdir often multiarch. */
function findVmod(varnishd: string, vmod: string): string | undefined {
  const libdirs = [path.resolve(path.dirname(varnishd), '../lib')];
  for (const lib of ['/usr/lib', '/usr/lib64', '/usr/local/lib']) {
    libdirs.push(lib);
    try {
      for (const entry of readdirSync(lib, { withFileTypes: true })) {
        if (entry.isDirectory() && entry.name.includes('-linux-')) {
          libdirs.push(path.join(lib, entry.name));
        }
      }
    } catch {}
  }
  for (const lib of libdirs) {
    const file = path.join(lib, 'varnish', 'vmods', `libvmod_${vmod}.so`);
    if (existsSync(file)) return file;
  }
  return undefined;
}

export interface Tools {
  nginx: string;
  varnishd: string;
  varnishadm: string;
  varnishlog: string | undefined;
}

let toolsCache: { ok: true; tools: Tools } | { ok: false; reason: string } | undefined;

/**
 * Finds the tools on PATH or in the system sbin dirs (once; the answer is cached), or says what
 * is missing and which package provides it.
 */
export function locateTools(): { ok: true; tools: Tools } | { ok: false; reason: string } {
  if (toolsCache) return toolsCache;
  const nginx = findBinary('nginx');
  const varnishd = findBinary('varnishd');
  const varnishadm = findBinary('varnishadm');
  const where = `on PATH or in ${SYSTEM_DIRS.join(', ')}`;
  const missing: string[] = [];
  if (!nginx) missing.push(`nginx not found ${where} (apt-get install nginx-light)`);
  if (!varnishd) missing.push(`varnishd not found ${where} (apt-get install varnish)`);
  if (!varnishadm) missing.push(`varnishadm not found ${where} (apt-get install varnish)`);
  if (varnishd && !findVmod(varnishd, 'xkey')) {
    missing.push('the xkey vmod is not installed (apt-get install varnish-modules)');
  }
  if (!nginx || !varnishd || !varnishadm || missing.length > 0) {
    toolsCache = { ok: false, reason: missing.join('; ') };
  } else {
    toolsCache = {
      ok: true,
      tools: { nginx, varnishd, varnishadm, varnishlog: findBinary('varnishlog') },
    };
  }
  return toolsCache;
}
