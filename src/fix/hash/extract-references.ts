import { posix } from 'node:path';
import { extractCssReferences } from './extract-css-references.ts';
import { extractHtmlReferences } from './extract-html-references.ts';
import { extractJsReferences } from './extract-js-references.ts';
import { extractManifestReferences } from './extract-json-references.ts';
import type { Reference } from './reference.ts';

/** The file types whose references are rewritten, by extension. */
export type TextKind = 'html' | 'css' | 'js' | 'manifest';

/** Which extractor reads this file, or undefined for a file that holds no references. */
export function textKindOf(path: string): TextKind | undefined {
  const name = posix.basename(path).toLowerCase();
  if (name === 'manifest.json' || name.endsWith('.webmanifest')) return 'manifest';
  const ext = posix.extname(name);
  if (ext === '.html' || ext === '.htm') return 'html';
  if (ext === '.css') return 'css';
  if (ext === '.js' || ext === '.mjs') return 'js';
  return undefined;
}

/** The references in one text file of the given kind. */
export function extractReferences(kind: TextKind, text: string): Reference[] {
  switch (kind) {
    case 'html':
      return extractHtmlReferences(text);
    case 'css':
      return extractCssReferences(text);
    case 'js':
      return extractJsReferences(text, { module: true });
    case 'manifest':
      return extractManifestReferences(text);
  }
}
