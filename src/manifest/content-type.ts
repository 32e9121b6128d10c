import mime from 'mime';

/** What static servers send for a file whose extension they do not know (nginx `default_type`). */
export const UNKNOWN_TYPE = 'application/octet-stream';

// Types that nginx's `charset utf-8;` (with its default `charset_types` plus json and svg, the
// usual static-site setup) and `serve-static` label as UTF-8.
const UTF8_TYPES = new Set(['application/javascript', 'application/json', 'image/svg+xml']);

// One string per extension: a scan of 100k files then holds a few dozen type strings, not 100k.
const byExtension = new Map<string, string>();

/**
 * The Content-Type a static server would send for `path`: the `mime` type of its extension,
 * with `; charset=utf-8` for text, JavaScript, JSON and SVG, and `application/octet-stream`
 * when the extension is unknown or missing. Only the last segment's extension counts, so
 * `html/README` has none and a bare name like `json` is not mistaken for an extension.
 */
export function contentTypeFor(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot < 0) return UNKNOWN_TYPE;
  const ext = base.slice(dot + 1).toLowerCase();
  let type = byExtension.get(ext);
  if (type === undefined) {
    type = withCharset(ext === '' ? null : mime.getType(ext));
    byExtension.set(ext, type);
  }
  return type;
}

function withCharset(type: string | null): string {
  if (type === null) return UNKNOWN_TYPE;
  if (type.startsWith('text/') || UTF8_TYPES.has(type)) return `${type}; charset=utf-8`;
  return type;
}
