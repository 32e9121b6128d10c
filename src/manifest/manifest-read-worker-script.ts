/**
 * Where a manifest-reading worker's code comes from, as for the hash worker
 * (hash-worker-script.ts): from the sources, manifest-read-worker.ts beside this file; in a
 * bundle, scripts/build.ts replaces this module with one whose `source` holds that worker
 * compiled to one self-contained CommonJS script, started with `new Worker(source, { eval: true })`.
 */
export const manifestReadWorkerScript: { readonly url: URL } | { readonly source: string } = {
  url: new URL('./manifest-read-worker.ts', import.meta.url),
};
