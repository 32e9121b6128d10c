import type { Hash } from 'node:crypto';
import { type PackedFiles, putShaHex } from './packed-manifest.ts';

const BATCH_BYTES = 64 * 1024;

/**
 * Feeds `hash` one line per file, in the table's order: `path\0sha256hex\n`, or with `sizes`
 * `path\0sha256hex\0size\0mtimeMs\n` (numbers as `String(n)` writes them) — the bytes the
 * digests of plan documents, journals and state commits were defined over. The lines are
 * written as bytes into one reused buffer, ~64 KiB per `update`: no string per file (at
 * 1,000,000 files, building the strings took most of a digest's time).
 */
export function hashFileLines(hash: Hash, files: PackedFiles, options: { sizes?: boolean } = {}) {
  const { count, paths, sizes, mtimes } = files;
  const withSizes = options.sizes === true;
  const buffer = Buffer.allocUnsafe(BATCH_BYTES);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const pathBytes = paths.byteLengthAt(i);
    // path, NUL, 64 hex digits, newline, and two numbers of at most 24 characters each.
    const line = pathBytes + 66 + (withSizes ? 50 : 0);
    if (at + line > buffer.length) {
      hash.update(buffer.subarray(0, at));
      at = 0;
    }
    if (line > buffer.length) {
      // A path longer than the buffer: its line on its own (a manifest path is far shorter).
      hash.update(paths.bytesAt(i));
    } else at += paths.copyTo(i, buffer, at);
    buffer[at++] = 0;
    at = putShaHex(files, i, buffer, at);
    if (withSizes) {
      buffer[at++] = 0;
      at += buffer.write(String(sizes[i]), at, 'latin1');
      buffer[at++] = 0;
      at += buffer.write(String(mtimes[i]), at, 'latin1');
    }
    buffer[at++] = 0x0a;
  }
  if (at > 0) hash.update(buffer.subarray(0, at));
}
