import { once } from 'node:events';
import { comparePaths, MANIFEST_VERSION } from './manifest.ts';
import { type PackedManifest, shaHexAt } from './packed-manifest.ts';

/** Text is handed out in pieces of about this many characters. */
const CHUNK_CHARS = 256 * 1024;

/**
 * The manifest's JSON text, the very bytes `serializeManifest` writes for the same manifest
 * (`JSON.stringify(…, null, 2)` with sorted keys, then a newline), in pieces of ~256 KiB:
 * a 1,000,000-file manifest (~150 MB) never exists as one string. Hex is made here only.
 */
export function* manifestChunks(manifest: PackedManifest): Generator<string> {
  const { files } = manifest;
  let out = '{\n';
  if (manifest.baseUrl !== undefined) out += `  "baseUrl": ${JSON.stringify(manifest.baseUrl)},\n`;
  out += `  "createdAt": ${JSON.stringify(manifest.createdAt)},\n`;
  if (files.count === 0) out += '  "files": {},\n';
  else {
    out += '  "files": {\n';
    // A few dozen types: each quoted once, not once per file.
    const types = files.types.map((type) => JSON.stringify(type));
    const last = files.count - 1;
    const { paths } = files;
    for (let i = 0; i <= last; i++) {
      // A path with no `"`, `\` or control character is quoted as JSON.stringify would.
      const key = paths.isPlain(i) ? `"${paths.at(i)}"` : JSON.stringify(paths.at(i));
      out +=
        `    ${key}: {\n` +
        `      "mtimeMs": ${jsonNumber(files.mtimes[i] as number)},\n` +
        `      "sha256": "${shaHexAt(files, i)}",\n` +
        `      "size": ${jsonNumber(files.sizes[i] as number)},\n` +
        `      "type": ${types[files.typeIds[i] as number]}\n` +
        (i === last ? '    }\n' : '    },\n');
      if (out.length >= CHUNK_CHARS) {
        yield out;
        out = '';
      }
    }
    out += '  },\n';
  }
  out += `  "generator": ${JSON.stringify(manifest.generator)},\n`;
  out += validatorsText(manifest);
  out += `  "version": ${MANIFEST_VERSION}\n}\n`;
  yield out;
}

/** Writes the manifest's JSON to `out` chunk by chunk, waiting whenever `out` is full. */
export async function writeManifestStream(
  manifest: PackedManifest,
  out: NodeJS.WritableStream,
): Promise<void> {
  for (const chunk of manifestChunks(manifest)) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
}

/** `"validators": {…},` sorted by URL as serializeManifest writes it; nothing when empty. */
function validatorsText(manifest: PackedManifest): string {
  const validators = manifest.validators ?? {};
  const urls = Object.keys(validators).sort(comparePaths);
  if (urls.length === 0) return '';
  const entries = urls.map((url) => {
    const seen = validators[url] ?? {};
    const fields: string[] = [];
    if (seen.etag !== undefined) fields.push(`      "etag": ${JSON.stringify(seen.etag)}`);
    if (seen.lastModified !== undefined) {
      fields.push(`      "lastModified": ${JSON.stringify(seen.lastModified)}`);
    }
    const body = fields.length === 0 ? '{}' : `{\n${fields.join(',\n')}\n    }`;
    return `    ${JSON.stringify(url)}: ${body}`;
  });
  return `  "validators": {\n${entries.join(',\n')}\n  },\n`;
}

/** A finite number as JSON.stringify writes it (the same shortest form; -0 as 0). */
function jsonNumber(value: number): string {
  return String(value);
}
