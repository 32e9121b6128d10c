/**
 * Where a hash worker's code comes from. Run from the sources, it is hash-worker.ts beside this
 * file (Node strips its types). A bundle has no such file: scripts/build.ts compiles
 * hash-worker.ts to one self-contained CommonJS script and replaces this module with one whose
 * `source` holds it, started with `new Worker(source, { eval: true })`.
 */
export const hashWorkerScript: { readonly url: URL } | { readonly source: string } = {
  url: new URL('./hash-worker.ts', import.meta.url),
};
