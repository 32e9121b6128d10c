import { type DecodedEtag, type FileStat, mtimeSeconds, type StyleModel } from './origin-style.ts';

/**
 * nginx's static files: `"<hex mtime in whole seconds>-<hex size>"`, strong.
 * Source: nginx src/http/ngx_http_core_module.c, ngx_http_set_etag():
 * `ngx_sprintf(etag->value.data, "\"%xT-%xO\"", r->headers_out.last_modified_time,
 * r->headers_out.content_length_n)`. The gzip filter makes it weak (ngx_http_weak_etag), so
 * `W/"…"` from a gzipping nginx is the same validator.
 */
export const nginxStyle: StyleModel = {
  style: 'nginx',
  label: 'nginx (ngx_http_set_etag: "hex(mtime s)-hex(size)")',
  resolutionMs: 1000,
  weak: false,
  toleranceMs: 0,
  predict: (file: FileStat) => `"${mtimeSeconds(file).toString(16)}-${file.size.toString(16)}"`,
  decode(tag: string): DecodedEtag | undefined {
    const match = /^([0-9a-f]{1,12})-([0-9a-f]{1,13})$/.exec(tag);
    if (match === null) return undefined;
    return {
      size: Number.parseInt(match[2] as string, 16),
      mtimeMs: Number.parseInt(match[1] as string, 16) * 1000,
    };
  },
};
