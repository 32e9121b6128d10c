import { type FileStat, mtimeNanoseconds, type StyleModel } from './origin-style.ts';

// lighttpd 1.4 (1.4.69 in Debian bookworm), src/http_etag.c, http_etag_create(): with the
// defaults etag.use-inode, etag.use-size and etag.use-mtime enabled, the uint64 array
// { st_ino, st_size, st_mtime, st_mtim.tv_nsec } (host byte order: little-endian here) is
// hashed with dekhash() (src/algo_md.h: `h = (h << 5) ^ (h >> 27) ^ byte`, seeded with the
// byte length, 32) and sent as the decimal uint32 in quotes. It cannot be read back; it can be
// predicted only with the inode. lighttpd sends no ETag (nor Last-Modified) for a file whose
// type is not in mimetype.assign (mod_staticfile: "might change"), so map every extension.

/** Knuth's hash as lighttpd's algo_md.h writes it. */
function dekhash(bytes: Uint8Array, seed: number): number {
  let hash = seed >>> 0;
  for (const byte of bytes) hash = ((hash << 5) ^ (hash >>> 27) ^ byte) >>> 0;
  return hash;
}

/** lighttpd's default ETag: `"<decimal dekhash(inode, size, mtime s, mtime ns)>"`. */
export function lighttpdEtag(file: FileStat): string | undefined {
  if (file.inode === undefined) return undefined;
  const ns = mtimeNanoseconds(file);
  const words = [BigInt(file.inode), BigInt(file.size), ns / 1_000_000_000n, ns % 1_000_000_000n];
  const bytes = new Uint8Array(8 * words.length);
  const view = new DataView(bytes.buffer);
  for (const [index, word] of words.entries()) {
    view.setBigUint64(index * 8, BigInt.asUintN(64, word), true);
  }
  return `"${dekhash(bytes, bytes.length)}"`;
}

export const lighttpdStyle: StyleModel = {
  style: 'lighttpd',
  label: 'lighttpd 1.4 (http_etag_create: dekhash of inode, size, mtime s and ns)',
  resolutionMs: 1e-6,
  weak: false,
  toleranceMs: 0,
  predict: lighttpdEtag,
  // A hash: nothing to read back.
  decode: () => undefined,
};

/** A lighttpd ETag's shape: a decimal uint32 (a hash), the only clue without the inode. */
export function looksLikeLighttpd(tag: string): boolean {
  return /^[0-9]{1,10}$/.test(tag) && Number(tag) <= 0xffff_ffff;
}
