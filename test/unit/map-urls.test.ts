import { describe, expect, it } from 'vitest';
import { absoluteUrl, encodeSegment, urlPathsFor } from '../../src/plan/map-urls.ts';

describe('urlPathsFor', () => {
  const plain = { cleanUrls: false, basePath: '/' };
  const clean = { cleanUrls: true, basePath: '/' };
  it.each([
    { path: 'index.html', options: plain, expected: ['/', '/index.html'] },
    { path: 'about/index.html', options: plain, expected: ['/about/', '/about/index.html'] },
    {
      path: 'about/index.html',
      options: clean,
      expected: ['/about/', '/about', '/about/index.html'],
    },
    { path: 'index.html', options: clean, expected: ['/', '/index.html'] },
    { path: 'page.html', options: plain, expected: ['/page.html'] },
    { path: 'page.html', options: clean, expected: ['/page.html', '/page'] },
    { path: 'assets/app.js', options: clean, expected: ['/assets/app.js'] },
    {
      path: 'docs/index.html',
      options: { cleanUrls: false, basePath: '/site' },
      expected: ['/site/docs/', '/site/docs/index.html'],
    },
    {
      path: 'index.html',
      options: { cleanUrls: false, basePath: '/site/' },
      expected: ['/site/', '/site/index.html'],
    },
    { path: 'my file.txt', options: plain, expected: ['/my%20file.txt'] },
    { path: 'café/menü.html', options: plain, expected: ['/caf%C3%A9/men%C3%BC.html'] },
    { path: 'a+b@c:d=e.txt', options: plain, expected: ['/a+b@c:d=e.txt'] },
    { path: '100%.txt', options: plain, expected: ['/100%25.txt'] },
    { path: 'q?#.txt', options: plain, expected: ['/q%3F%23.txt'] },
  ])('$path with $options', ({ path, options, expected }) => {
    expect(urlPathsFor(path, options)).toEqual(expected);
  });

  it('keeps RFC 3986 sub-delims and encodes the rest', () => {
    expect(encodeSegment("!$&'()*+,;=:@-._~")).toBe("!$&'()*+,;=:@-._~");
    expect(encodeSegment('a/b')).toBe('a%2Fb');
  });

  it('joins a URL path onto the public origin', () => {
    expect(absoluteUrl('https://www.example.com', '/a/')).toBe('https://www.example.com/a/');
    expect(absoluteUrl('http://127.0.0.1:8080/', '/x')).toBe('http://127.0.0.1:8080/x');
  });
});
