import postcss, { type AtRule, type Declaration } from 'postcss';
import valueParser, { type Node as ValueNode } from 'postcss-value-parser';
import { extractSourceMapReference } from './extract-source-map-reference.ts';
import { offsetReferences, type Reference } from './reference.ts';

const IMAGE_SET = new Set(['image-set', '-webkit-image-set']);

/**
 * The URL references in a CSS value: `url()` in every quoting, strings inside `image-set()`,
 * and (for `@import`) a bare string. Offsets are relative to `value`.
 */
export function extractValueReferences(value: string, bareStrings: boolean): Reference[] {
  const refs: Reference[] = [];
  const visit = (nodes: readonly ValueNode[], inImageSet: boolean, isImport: boolean) => {
    for (const node of nodes) {
      if (node.type === 'function') {
        const name = node.value.toLowerCase();
        if (name === 'url') {
          const inner = node.nodes[0];
          if (inner === undefined) continue;
          if (inner.type === 'string') {
            const start = inner.sourceIndex + 1;
            refs.push({
              start,
              end: start + inner.value.length,
              value: inner.value,
              kind: isImport ? 'css-import' : 'css-url',
            });
          } else if (inner.type === 'word') {
            const start = inner.sourceIndex;
            refs.push({
              start,
              end: start + inner.value.length,
              value: inner.value,
              kind: isImport ? 'css-import' : 'css-url',
            });
          }
          continue;
        }
        visit(node.nodes, IMAGE_SET.has(name), false);
      } else if (node.type === 'string' && (inImageSet || (bareStrings && isImport))) {
        const start = node.sourceIndex + 1;
        refs.push({
          start,
          end: start + node.value.length,
          value: node.value,
          kind: isImport ? 'css-import' : 'css-url',
        });
      }
    }
  };
  visit(valueParser(value).nodes, false, bareStrings);
  // An @import takes only its first component; a url() later in the prelude is not a sheet.
  return bareStrings ? refs.slice(0, 1) : refs;
}

function declarationReferences(decl: Declaration, css: string): Reference[] {
  const start = decl.source?.start?.offset;
  if (start === undefined) return [];
  const raws = decl.raws as { between?: string; value?: { raw: string } };
  const valueText = raws.value?.raw ?? decl.value;
  const valueStart = start + decl.prop.length + (raws.between ?? ':').length;
  if (css.slice(valueStart, valueStart + valueText.length) !== valueText) return [];
  return offsetReferences(extractValueReferences(valueText, false), valueStart);
}

function importReferences(rule: AtRule, css: string): Reference[] {
  const start = rule.source?.start?.offset;
  if (start === undefined) return [];
  const raws = rule.raws as { afterName?: string; params?: { raw: string } };
  const params = raws.params?.raw ?? rule.params;
  const paramsStart = start + 1 + rule.name.length + (raws.afterName ?? ' ').length;
  if (css.slice(paramsStart, paramsStart + params.length) !== params) return [];
  return offsetReferences(extractValueReferences(params, true), paramsStart);
}

/**
 * Every URL reference in a style sheet, parsed with postcss (declarations anywhere, including
 * `src:` in `@font-face` with `?#iefix`; `@import "x"` and `@import url(x)`), and the
 * `sourceMappingURL` comment. A sheet postcss cannot parse yields no references.
 */
export function extractCssReferences(css: string): Reference[] {
  let root: postcss.Root;
  try {
    root = postcss.parse(css);
  } catch {
    return [];
  }
  const refs: Reference[] = [];
  root.walk((node) => {
    if (node.type === 'decl') refs.push(...declarationReferences(node, css));
    else if (node.type === 'atrule' && node.name.toLowerCase() === 'import') {
      refs.push(...importReferences(node, css));
    }
  });
  const map = extractSourceMapReference(css, 'css');
  if (map !== undefined) refs.push(map);
  return refs.sort((a, b) => a.start - b.start);
}

/** References in an inline `style="…"` attribute: a declaration list, not a sheet. */
export function extractStyleAttributeReferences(style: string): Reference[] {
  return extractValueReferences(style, false);
}
