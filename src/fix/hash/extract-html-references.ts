import { Parser } from 'htmlparser2';
import { extractCssReferences, extractStyleAttributeReferences } from './extract-css-references.ts';
import { extractJsReferences } from './extract-js-references.ts';
import { extractImportMapReferences } from './extract-json-references.ts';
import { parseSrcset } from './parse-srcset.ts';
import { type IntegritySpan, offsetReferences, type Reference } from './reference.ts';

interface AttributeSpan {
  readonly name: string;
  readonly value: string;
  /** The raw value in the source (entities not decoded), without quotes. */
  readonly start: number;
  readonly end: number;
}

// <link rel> values whose href is a subresource; `alternate` (feeds), `canonical` and the like
// name pages whose URLs must stay stable, so they are not references to rename.
const LINK_RELS = new Set([
  'stylesheet',
  'preload',
  'modulepreload',
  'prefetch',
  'icon',
  'shortcut',
  'apple-touch-icon',
  'apple-touch-icon-precomposed',
  'mask-icon',
  'manifest',
]);
const META_IMAGES = new Set([
  'og:image',
  'og:image:url',
  'og:image:secure_url',
  'twitter:image',
  'twitter:image:src',
]);
const CLASSIC_SCRIPT_TYPES = new Set(['', 'text/javascript', 'application/javascript']);

function attributeSpan(
  html: string,
  name: string,
  value: string,
  from: number,
  to: number,
): AttributeSpan | undefined {
  const eq = html.indexOf('=', from);
  if (eq < 0 || eq > to) return undefined;
  let start = eq + 1;
  while (/\s/.test(html[start] ?? '')) start += 1;
  const quote = html[start];
  if (quote === '"' || quote === "'") {
    const end = html.indexOf(quote, start + 1);
    return end < 0 ? undefined : { name, value, start: start + 1, end };
  }
  return { name, value, start, end: to };
}

function single(span: AttributeSpan, html: string, integrity?: IntegritySpan): Reference {
  // The raw text is rewritten; the decoded value is resolved (they differ only with entities).
  const raw = html.slice(span.start, span.end);
  return {
    start: span.start,
    end: span.end,
    value: span.value === raw ? raw : span.value,
    kind: 'html-attribute',
    ...(integrity === undefined ? {} : { integrity }),
  };
}

function tagReferences(tag: string, attrs: Map<string, AttributeSpan>, html: string): Reference[] {
  const refs: Reference[] = [];
  const get = (name: string) => attrs.get(name);
  const integritySpan = get('integrity');
  const integrity =
    integritySpan === undefined
      ? undefined
      : { start: integritySpan.start, end: integritySpan.end, value: integritySpan.value };
  if (tag === 'base' && get('href') !== undefined) {
    return [{ ...single(get('href') as AttributeSpan, html), kind: 'base' }];
  }
  const src = get('src');
  if (src !== undefined) refs.push(single(src, html, tag === 'script' ? integrity : undefined));
  const href = get('href');
  if (href !== undefined) {
    const rels = (get('rel')?.value ?? '').toLowerCase().split(/\s+/);
    if (tag === 'link' && rels.some((rel) => LINK_RELS.has(rel)))
      refs.push(single(href, html, integrity));
    else if (tag === 'a' || tag === 'use' || tag === 'image') refs.push(single(href, html));
  }
  const xlink = get('xlink:href');
  if (xlink !== undefined && (tag === 'use' || tag === 'image')) refs.push(single(xlink, html));
  for (const name of ['srcset', 'imagesrcset']) {
    const span = get(name);
    if (span === undefined) continue;
    const raw = html.slice(span.start, span.end);
    for (const candidate of parseSrcset(raw)) {
      refs.push({
        start: span.start + candidate.start,
        end: span.start + candidate.end,
        value: candidate.url,
        kind: 'srcset',
      });
    }
  }
  const poster = get('poster');
  if (poster !== undefined && tag === 'video') refs.push(single(poster, html));
  const data = get('data');
  if (data !== undefined && tag === 'object') refs.push(single(data, html));
  const content = get('content');
  const property = (get('property')?.value ?? get('name')?.value ?? '').toLowerCase();
  if (tag === 'meta' && content !== undefined && META_IMAGES.has(property))
    refs.push(single(content, html));
  const style = get('style');
  if (style !== undefined && style.value === html.slice(style.start, style.end)) {
    refs.push(...offsetReferences(extractStyleAttributeReferences(style.value), style.start));
  }
  return refs;
}

function blockReferences(tag: string, type: string, text: string): Reference[] {
  if (tag === 'style') return extractCssReferences(text);
  if (type === 'module') return extractJsReferences(text, { module: true });
  if (type === 'importmap') return extractImportMapReferences(text);
  if (CLASSIC_SCRIPT_TYPES.has(type)) return extractJsReferences(text, { module: false });
  return [];
}

/**
 * Every reference in an HTML document, found by htmlparser2 with source positions: element
 * attributes (`src`, `href` on subresource links and `<a>`, `srcset`/`imagesrcset`, `poster`,
 * `data`, `<use href>`/`xlink:href`, `<meta content>` for og:image/twitter:image, inline
 * `style`), `<style>` blocks, inline module scripts, classic scripts (service worker
 * registration, `importScripts`) and import maps. `integrity` rides on its element's reference.
 */
export function extractHtmlReferences(html: string): Reference[] {
  const refs: Reference[] = [];
  let attrs = new Map<string, AttributeSpan>();
  let block: { tag: string; type: string; start: number } | undefined;
  const parser: Parser = new Parser(
    {
      onopentagname() {
        attrs = new Map();
      },
      onattribute(name, value, quote) {
        if (quote === undefined || attrs.has(name)) return;
        const span = attributeSpan(
          html,
          name,
          value,
          parser.startIndex + name.length,
          parser.endIndex,
        );
        if (span !== undefined) attrs.set(name, span);
      },
      onopentag(name) {
        refs.push(...tagReferences(name, attrs, html));
        if (name === 'style' || name === 'script') {
          const type = (attrs.get('type')?.value ?? '').trim().toLowerCase();
          block = attrs.has('src') ? undefined : { tag: name, type, start: parser.endIndex + 1 };
        }
      },
      onclosetag(name) {
        if (block !== undefined && block.tag === name) {
          const end = html.lastIndexOf('<', parser.endIndex);
          if (end >= block.start) {
            refs.push(
              ...offsetReferences(
                blockReferences(block.tag, block.type, html.slice(block.start, end)),
                block.start,
              ),
            );
          }
        }
        block = undefined;
      },
    },
    { decodeEntities: true },
  );
  parser.end(html);
  return refs.sort((a, b) => a.start - b.start);
}
