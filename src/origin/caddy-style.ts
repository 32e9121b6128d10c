import {
  type DecodedEtag,
  type FileStat,
  mtimeNanoseconds,
  mtimeSeconds,
  type StyleModel,
} from './origin-style.ts';

// Caddy 2's file_server, modules/caddyhttp/fileserver/staticfiles.go, calculateEtag(). Three
// generations, all strong, all base 36:
// - v2.11+ (commit d6f7f18, "prevent ETag collisions"): `"<b36 mtime ns>-<b36 size>"`;
// - v2.8 – v2.10 (commit 3067074, "encode: Improve Etag handling"): `"<b36 mtime ns><b36 size>"`;
// - v2.0 – v2.7 (Debian bookworm and trixie ship 2.6.2): `"<b36 mtime s><b36 size>"`.
// An mtime of 0 or 1 s gives no ETag at all (caddy issue #5548).

const b36 = (value: bigint | number) => value.toString(36);

/** A base-36 string as a bigint (`BigInt` reads no base 36). */
function parse36(text: string): bigint {
  let value = 0n;
  for (const char of text) value = value * 36n + BigInt(Number.parseInt(char, 36));
  return value;
}

function useful(file: FileStat): boolean {
  const seconds = mtimeSeconds(file);
  return seconds !== 0 && seconds !== 1;
}

/** Caddy ≥ 2.11: `"<b36 mtime ns>-<b36 size>"`. */
export const caddyStyle: StyleModel = {
  style: 'caddy',
  label: 'Caddy ≥ 2.11 (calculateEtag: "b36(mtime ns)-b36(size)")',
  resolutionMs: 1e-6,
  weak: false,
  toleranceMs: 0.0015,
  predict: (file) =>
    useful(file) ? `"${b36(mtimeNanoseconds(file))}-${b36(file.size)}"` : undefined,
  decode(tag: string): DecodedEtag | undefined {
    const match = /^([0-9a-z]{10,14})-([0-9a-z]{1,11})$/.exec(tag);
    if (match === null) return undefined;
    return {
      size: Number(parse36(match[2] as string)),
      mtimeMs: Number(parse36(match[1] as string)) / 1e6,
    };
  },
};

/** Caddy 2.8 – 2.10: `"<b36 mtime ns><b36 size>"`, no separator. */
export const caddy28Style: StyleModel = {
  style: 'caddy-2.8',
  label: 'Caddy 2.8 – 2.10 (calculateEtag: "b36(mtime ns)b36(size)")',
  resolutionMs: 1e-6,
  weak: false,
  toleranceMs: 0.0015,
  predict: (file) =>
    useful(file) ? `"${b36(mtimeNanoseconds(file))}${b36(file.size)}"` : undefined,
  decode: (tag, size) => decodeJoined(tag, size, 1e-6),
};

/** Caddy 2.0 – 2.7: `"<b36 mtime s><b36 size>"`, no separator: whole seconds, as nginx. */
export const caddy20Style: StyleModel = {
  style: 'caddy-2.0',
  label: 'Caddy 2.0 – 2.7 (calculateEtag: "b36(mtime s)b36(size)")',
  resolutionMs: 1000,
  weak: false,
  toleranceMs: 0,
  predict: (file) => (useful(file) ? `"${b36(mtimeSeconds(file))}${b36(file.size)}"` : undefined),
  decode: (tag, size) => decodeJoined(tag, size, 1000),
};

/** Splits `<mtime><size>` at the local size's digits: the only way to read it. */
function decodeJoined(tag: string, size: number, unitMs: number): DecodedEtag | undefined {
  if (!/^[0-9a-z]+$/.test(tag)) return undefined;
  const sizeDigits = b36(size);
  if (!tag.endsWith(sizeDigits) || tag.length === sizeDigits.length) return undefined;
  const mtime = tag.slice(0, tag.length - sizeDigits.length);
  return { size, mtimeMs: Number(parse36(mtime)) * unitMs };
}
