import { createOctokit, type GitHubClient } from '../../src/github/octokit.ts';
import type { Logger } from '../../src/log.ts';
import type { FileEntry, Manifest } from '../../src/manifest/manifest.ts';
import { emptyFiles, GENERATOR, MANIFEST_VERSION } from '../../src/manifest/manifest.ts';
import { FAKE_GITHUB_TOKEN, type FakeGitHub } from './fake-github.ts';

/** A Logger that keeps its lines, for tests to read. */
export interface CollectingLogger extends Logger {
  readonly lines: string[];
  readonly warnings: string[];
}

export function collectLog(): CollectingLogger {
  const lines: string[] = [];
  const warnings: string[] = [];
  return {
    lines,
    warnings,
    info: (message) => lines.push(message),
    warn: (message) => {
      lines.push(message);
      warnings.push(message);
    },
  };
}

/** The real client pointed at the fake, with waits shortened (1 ms per second) and no write pacing. */
export function fakeClient(
  fake: FakeGitHub,
  options: { token?: string; log?: Logger; retries?: number } = {},
): GitHubClient {
  return createOctokit({
    token: options.token ?? FAKE_GITHUB_TOKEN,
    baseUrl: fake.url,
    ...(options.log === undefined ? {} : { log: options.log }),
    retries: options.retries ?? 3,
    minRetryMs: 1,
    writeSpacingMs: 0,
  });
}

/** A release of `count` files, built in memory; `seed` changes every hash. */
export function makeManifest(count: number, seed = 'a'): Manifest {
  const files = emptyFiles();
  for (let i = 0; i < count; i++) {
    const entry: FileEntry = {
      size: 1000 + i,
      mtimeMs: 1_700_000_000_000 + i,
      sha256: hash64(`${seed}:${i}`),
      type: 'text/html; charset=utf-8',
    };
    files[`section-${i % 100}/page-${i}.html`] = entry;
  }
  return {
    version: MANIFEST_VERSION,
    generator: GENERATOR,
    createdAt: '2026-12-01T00:00:00.000Z',
    baseUrl: 'https://www.example.com',
    files,
  };
}

function hash64(text: string): string {
  // Cheap and deterministic: 64 hex digits from a string, enough for a manifest fixture.
  let h = 0x811c9dc5;
  let out = '';
  for (let round = 0; out.length < 64; round++) {
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
    h = Math.imul(h ^ round, 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 64);
}
