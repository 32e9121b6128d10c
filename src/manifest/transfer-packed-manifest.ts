import { isMarkedAsUntransferable } from 'node:worker_threads';
import type { PackedFiles, PackedManifest } from './packed-manifest.ts';
import { PathTable, type PathTableParts } from './path-table.ts';

/** A `PackedManifest` as it crosses threads: the path table as its parts. */
export interface TransferredManifest extends Omit<PackedManifest, 'files'> {
  readonly files: Omit<PackedFiles, 'paths'> & { readonly paths: PathTableParts };
}

/**
 * `manifest` as a message and the buffers to transfer with it (`postMessage(message, transfer)`):
 * its columns move to the receiving thread, not copied (a 1,000,000-file manifest holds ~100 MB
 * of them). The columns are views of larger buffers (the builder's spare capacity): the whole
 * buffer moves, and structured cloning keeps each view's offset and length. The manifest is
 * unusable here afterwards (its buffers are detached).
 */
export function transferablePackedManifest(manifest: PackedManifest): {
  readonly message: TransferredManifest;
  readonly transfer: ArrayBuffer[];
} {
  const { paths, ...columns } = manifest.files;
  const parts = paths.parts;
  const views: ArrayBufferView[] = [parts.bytes, parts.starts, columns.sha256, columns.sizes];
  views.push(columns.mtimes, columns.typeIds);
  // One buffer may back two views (never in a built manifest, but a transfer list must not name
  // it twice), and a Buffer from Node's pool cannot move: it is copied instead.
  const transfer = [...new Set(views.map((view) => view.buffer as ArrayBuffer))].filter(
    (buffer) => !isMarkedAsUntransferable(buffer),
  );
  return { message: { ...manifest, files: { ...columns, paths: parts } }, transfer };
}

/** The manifest a `transferablePackedManifest` message carries, rebuilt around its buffers. */
export function receivedPackedManifest(message: TransferredManifest): PackedManifest {
  const { paths, ...columns } = message.files;
  // Structured cloning delivers a Buffer as a plain Uint8Array: the table decodes with Buffer's
  // methods, so it gets a Buffer over the same bytes back.
  const bytes = Buffer.from(paths.bytes.buffer, paths.bytes.byteOffset, paths.bytes.byteLength);
  const table = new PathTable(bytes, paths.starts, paths.length, paths.ascii);
  return { ...message, files: { ...columns, paths: table } };
}
