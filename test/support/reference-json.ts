import {
  comparePaths,
  emptyFiles,
  type FileEntry,
  MANIFEST_VERSION,
  type Manifest,
  type RecordedValidators,
} from '../../src/manifest/manifest.ts';

/**
 * A manifest's JSON as `JSON.stringify(…, null, 2)` writes it with sorted keys: the layout the
 * manifest writer must reproduce byte for byte, written independently of it (a test oracle).
 * Root file names that look like array indexes (`9`, `10`) come first in numeric order here, as
 * in any JavaScript object: the writer puts them in `comparePaths` order.
 */
export function referenceJson(manifest: Manifest): string {
  const files = emptyFiles();
  for (const path of Object.keys(manifest.files).sort(comparePaths)) {
    const entry = manifest.files[path] as FileEntry;
    files[path] = {
      mtimeMs: entry.mtimeMs,
      sha256: entry.sha256,
      size: entry.size,
      type: entry.type,
    };
  }
  const out: Record<string, unknown> = {};
  if (manifest.baseUrl !== undefined) out.baseUrl = manifest.baseUrl;
  out.createdAt = manifest.createdAt;
  out.files = files;
  out.generator = manifest.generator;
  const validators = manifest.validators ?? {};
  const urls = Object.keys(validators).sort(comparePaths);
  // Only a verified release has validators: a scan's manifest stays as small as before.
  if (urls.length > 0) {
    const sorted: Record<string, RecordedValidators> = Object.create(null);
    for (const url of urls) {
      const seen = validators[url] as RecordedValidators;
      const entry: { etag?: string; lastModified?: string } = {};
      if (seen.etag !== undefined) entry.etag = seen.etag;
      if (seen.lastModified !== undefined) entry.lastModified = seen.lastModified;
      sorted[url] = entry;
    }
    out.validators = sorted;
  }
  out.version = MANIFEST_VERSION;
  return `${JSON.stringify(out, null, 2)}\n`;
}
