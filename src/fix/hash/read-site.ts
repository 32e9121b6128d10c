import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { textKindOf } from './extract-references.ts';
import type { SiteFile } from './plan-hash.ts';

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Every regular file under `dir`, by site-relative path (`/`-separated): the bytes of the files
 * that can hold references (HTML, CSS, JS, web manifests), only the SHA-256 of the others
 * (streamed: images and fonts are never held in memory). Symbolic links and special files are
 * skipped (returned by name), never followed.
 */
export async function readSite(
  dir: string,
): Promise<{ files: Map<string, SiteFile>; skipped: string[] }> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = new Map<string, SiteFile>();
  const skipped: string[] = [];
  const sorted = entries
    .map((entry) => ({
      entry,
      path: relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'),
    }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  for (const { entry, path } of sorted) {
    if (entry.isDirectory()) continue;
    if (!entry.isFile()) {
      skipped.push(path);
      continue;
    }
    const full = join(dir, path);
    files.set(
      path,
      textKindOf(path) === undefined ? { sha256: await sha256Of(full) } : await readFile(full),
    );
  }
  return { files, skipped };
}
