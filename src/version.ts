import { readFileSync } from 'node:fs';

// Set by scripts/build.ts (esbuild `define`) to package.json's version; absent when Node runs
// the sources, which read package.json instead. Either way package.json is the one place.
declare const __EDGEPURGE_VERSION__: string | undefined;

/** The package version, as `edgepurge --version` prints it and manifests name their generator. */
export const VERSION: string =
  typeof __EDGEPURGE_VERSION__ === 'string' ? __EDGEPURGE_VERSION__ : versionFromPackageJson();

function versionFromPackageJson(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
