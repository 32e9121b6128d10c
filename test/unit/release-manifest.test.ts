import { describe, expect, it } from 'vitest';
import { emptyPackedManifest } from '../../src/manifest/packed-manifest.ts';
import { checkReleaseManifest } from '../../src/pipeline/release-manifest.ts';

const log = { info: () => {}, warn: () => {} };
const source = { path: 'release.json', at: '--manifest' };
const manifest = { ...emptyPackedManifest(), baseUrl: 'https://www.example.com/' };

describe('checkReleaseManifest (readRelease calls it before reading anything)', () => {
  it('refuses the hash fix, which reads the files a manifest does not hold', () => {
    const config = { fix: 'hash' as const, baseUrl: 'https://www.example.com', dir: 'public' };
    expect(() => checkReleaseManifest(config, { manifest, source }, log)).toThrow(
      expect.objectContaining({ code: 'E_USAGE', at: '--manifest', exitCode: 2 }),
    );
  });

  it("refuses another site's manifest, and takes this site's written otherwise", () => {
    const other = { fix: 'touch' as const, baseUrl: 'https://docs.example.com', dir: 'public' };
    expect(() => checkReleaseManifest(other, { manifest, source }, log)).toThrow(
      expect.objectContaining({ code: 'E_MANIFEST', at: '--manifest' }),
    );
    const same = { fix: 'touch' as const, baseUrl: 'https://WWW.example.com:443', dir: 'public' };
    expect(() => checkReleaseManifest(same, { manifest, source }, log)).not.toThrow();
  });
});
