import {
  type DecodedEtag,
  type FileStat,
  mtimeMicroseconds,
  type StyleModel,
} from './origin-style.ts';

// Apache httpd 2.4, modules/http/http_etag.c, ap_make_etag_ex(): the parts FileETag names, in
// the order inode, size, mtime, each as lower-case hex, joined by "-". The mtime is APR's
// apr_time_t, microseconds since the epoch. 2.4's default is `FileETag MTime Size`
// ("<hex size>-<hex µs>"); `FileETag INode MTime Size` (or `All`, 2.2's default) puts the
// inode first. A file changed less than a second before the request gets a weak ETag (W/),
// and mod_deflate appends "-gzip" inside the quotes (DeflateAlterETag AddSuffix).

function hex(value: bigint | number): string {
  return value.toString(16);
}

/** `FileETag MTime Size` (the 2.4 default): `"<hex size>-<hex mtime µs>"`. */
export const apacheStyle: StyleModel = {
  style: 'apache',
  label: 'Apache httpd 2.4 (FileETag MTime Size: "hex(size)-hex(mtime µs)")',
  resolutionMs: 0.001,
  weak: false,
  toleranceMs: 0.0015,
  predict: (file: FileStat) => `"${hex(file.size)}-${hex(mtimeMicroseconds(file))}"`,
  decode(tag: string): DecodedEtag | undefined {
    const match = /^([0-9a-f]{1,13})-([0-9a-f]{1,14})$/.exec(tag);
    if (match === null) return undefined;
    return {
      size: Number.parseInt(match[1] as string, 16),
      mtimeMs: Number.parseInt(match[2] as string, 16) / 1000,
    };
  },
};

/** `FileETag INode MTime Size` / `All`: `"<hex inode>-<hex size>-<hex mtime µs>"`. */
export const apacheInodeStyle: StyleModel = {
  style: 'apache-inode',
  label: 'Apache httpd (FileETag INode MTime Size: "hex(inode)-hex(size)-hex(mtime µs)")',
  resolutionMs: 0.001,
  weak: false,
  toleranceMs: 0.0015,
  predict: (file: FileStat) =>
    file.inode === undefined
      ? undefined
      : `"${hex(file.inode)}-${hex(file.size)}-${hex(mtimeMicroseconds(file))}"`,
  decode(tag: string): DecodedEtag | undefined {
    const match = /^([0-9a-f]{1,16})-([0-9a-f]{1,13})-([0-9a-f]{1,14})$/.exec(tag);
    if (match === null) return undefined;
    return {
      inode: BigInt(`0x${match[1]}`),
      size: Number.parseInt(match[2] as string, 16),
      mtimeMs: Number.parseInt(match[3] as string, 16) / 1000,
    };
  },
};
