/**
 * Worker thread of `readPackedManifestPair`: reads one manifest file into its packed form,
 * exactly as `readPackedManifestFile` does on the main thread, and answers once: the columns
 * transferred (not copied), or the error it met, marshalled (an error's class does not survive
 * a thread: the main thread rebuilds an EdgepurgeError from its fields).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isEdgepurgeError } from '../errors.ts';
import { readPackedManifestFile } from './baseline-file.ts';
import {
  type TransferredManifest,
  transferablePackedManifest,
} from './transfer-packed-manifest.ts';

/** Sent once, as `workerData`: `readPackedManifestFile`'s arguments. */
export interface ManifestReadRequest {
  readonly path: string;
  readonly at: string;
}

/** An EdgepurgeError's fields: rebuilt as an InputError (exit 2) or a JobError (exit 1). */
export interface MarshalledError {
  readonly code: string;
  readonly message: string;
  readonly exitCode: 1 | 2;
  readonly at?: string;
  readonly hint?: string;
}

/**
 * Worker → main, once. `manifest` is absent when the file does not exist. An unexpected error
 * (a bug) travels as an Error, which structured cloning carries with its message and stack.
 */
export type ManifestReadAnswer =
  | { readonly ok: true; readonly manifest?: TransferredManifest }
  | { readonly ok: false; readonly error: MarshalledError }
  | { readonly ok: false; readonly bug: Error };

/** Reads the file; the answer and the buffers to transfer with it. Never throws. */
async function answer(
  request: ManifestReadRequest,
): Promise<{ reply: ManifestReadAnswer; transfer: ArrayBuffer[] }> {
  try {
    const manifest = await readPackedManifestFile(request.path, request.at);
    if (manifest === undefined) return { reply: { ok: true }, transfer: [] };
    const { message, transfer } = transferablePackedManifest(manifest);
    return { reply: { ok: true, manifest: message }, transfer };
  } catch (error) {
    if (!isEdgepurgeError(error)) {
      const bug = error instanceof Error ? error : new Error(String(error));
      return { reply: { ok: false, bug }, transfer: [] };
    }
    const { code, message, exitCode, at, hint } = error;
    const marshalled: MarshalledError = {
      code,
      message,
      exitCode,
      ...(at === undefined ? {} : { at }),
      ...(hint === undefined ? {} : { hint }),
    };
    return { reply: { ok: false, error: marshalled }, transfer: [] };
  }
}

const port = parentPort;
if (port !== null) {
  void answer(workerData as ManifestReadRequest).then(({ reply, transfer }) => {
    port.postMessage(reply, transfer);
  });
}
