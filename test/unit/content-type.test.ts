import { describe, expect, it } from 'vitest';
import { contentTypeFor } from '../../src/manifest/content-type.ts';

describe('contentTypeFor', () => {
  it.each([
    ['index.html', 'text/html; charset=utf-8'],
    ['about/INDEX.HTM', 'text/html; charset=utf-8'],
    ['assets/app.3f9a.css', 'text/css; charset=utf-8'],
    ['assets/app.js', 'text/javascript; charset=utf-8'],
    ['assets/app.mjs', 'text/javascript; charset=utf-8'],
    ['data/feed.json', 'application/json; charset=utf-8'],
    ['img/logo.svg', 'image/svg+xml; charset=utf-8'],
    ['robots.txt', 'text/plain; charset=utf-8'],
    ['feed.xml', 'application/xml'],
    ['img/photo.JPG', 'image/jpeg'],
    ['img/hero.webp', 'image/webp'],
    ['fonts/inter.woff2', 'font/woff2'],
    ['app.wasm', 'application/wasm'],
    ['docs/guide.pdf', 'application/pdf'],
    // Unknown or missing extensions: what nginx's default_type sends.
    ['blob.unknownext', 'application/octet-stream'],
    ['LICENSE', 'application/octet-stream'],
    ['trailing.', 'application/octet-stream'],
    // A bare name is not an extension, even when it spells one; a dot in a folder is no extension.
    ['html', 'application/octet-stream'],
    ['v1.2/README', 'application/octet-stream'],
    ['.well-known/security.txt', 'text/plain; charset=utf-8'],
  ])('%s → %s', (path, type) => {
    expect(contentTypeFor(path)).toBe(type);
  });
});
