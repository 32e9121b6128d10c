import { constants, rmSync } from 'node:fs';
import { type FileHandle, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { InputError, JobError } from '../errors.ts';
import type { Manifest } from './manifest.ts';
import { type PackedManifest, packManifest, unpackManifest } from './packed-manifest.ts';
import { readManifestStream } from './read-manifest-stream.ts';
import { manifestBytes } from './write-manifest-stream.ts';

/**
 * The largest manifest file read (~2,000,000 files: a 1,000,000-file manifest is ~150-220 MB).
 * The reader streams, so this is no longer V8's longest string (~512 MiB) but a bound on what
 * a crafted file makes it read; gunzipManifest stops a gzip bomb here too.
 */
export const MAX_MANIFEST_BYTES = 480 * 1024 * 1024;

/** Bytes read from a manifest file at a time. */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Reads a manifest file into its packed form, streaming: the file's text never exists whole
 * (see read-manifest-stream.ts); `undefined` when it does not exist (a first deploy). Only a
 * regular file is read: a FIFO would block forever and a device never ends (opened
 * non-blocking, then checked). `at` names the key or flag the path came from in errors. An
 * abort of `signal` stops the read between chunks and is thrown as it is: an interruption,
 * not a bad file.
 */
export async function readPackedManifestFile(
  path: string,
  at: string = path,
  signal?: AbortSignal,
): Promise<PackedManifest | undefined> {
  const refuse = (why: string, hint?: string): never => {
    throw new InputError('E_MANIFEST', `cannot read ${path}: ${why}`, { at, hint });
  };
  let manifest: PackedManifest | undefined;
  try {
    const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const info = await handle.stat();
      if (!info.isFile()) refuse('not a regular file', `${at} must name a manifest file`);
      if (info.size > MAX_MANIFEST_BYTES) {
        refuse(
          `${info.size} bytes, over the ${MAX_MANIFEST_BYTES} bytes a manifest may hold`,
          `${at} must name a manifest written by edgepurge`,
        );
      }
      manifest = await readManifestStream(chunksOf(handle), path, signal, info.size);
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    signal?.throwIfAborted();
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    refuse((error as Error).message);
  }
  // The last chunk's entries and the checks at the end are synchronous: let a signal that
  // came meanwhile be handled now.
  await nextTurn();
  signal?.throwIfAborted();
  return manifest;
}

/** `readPackedManifestFile`, unpacked: the plain `Manifest` the pipeline still takes. */
export async function readManifestFile(
  path: string,
  at: string = path,
  signal?: AbortSignal,
): Promise<Manifest | undefined> {
  const packed = await readPackedManifestFile(path, at, signal);
  return packed === undefined ? undefined : unpackManifest(packed);
}

/** The file's bytes, 1 MiB at a time, in one reused buffer (the reader copies what it keeps). */
async function* chunksOf(handle: FileHandle): AsyncGenerator<Uint8Array> {
  const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
    if (bytesRead === 0) return;
    yield buffer.subarray(0, bytesRead);
  }
}

/** Reads a manifest that must exist. */
export async function requireManifestFile(
  path: string,
  what = 'manifest',
  at: string = path,
): Promise<Manifest> {
  return unpackManifest(await requirePackedManifestFile(path, what, at));
}

/** Reads a manifest that must exist, packed. */
export async function requirePackedManifestFile(
  path: string,
  what = 'manifest',
  at: string = path,
): Promise<PackedManifest> {
  const manifest = await readPackedManifestFile(path, at);
  if (manifest === undefined) {
    throw new InputError('E_MANIFEST', `${what} ${path} does not exist`, {
      at: path,
      hint: 'write one with `edgepurge manifest DIR --out FILE`',
    });
  }
  return manifest;
}

/**
 * Writes a manifest atomically: a temporary file in the same folder, then rename, so a killed
 * process leaves the old baseline or the new one, never half of one. The text is written as it
 * is made, a piece at a time (write-manifest-stream.ts).
 */
export async function writeManifestFile(path: string, manifest: Manifest): Promise<void> {
  await writePackedManifestFile(path, packManifest(manifest));
}

/** `writeManifestFile` for a packed manifest: streamed, never one string. */
export async function writePackedManifestFile(
  path: string,
  manifest: PackedManifest,
): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  // A process that exits mid-write (the CLI's grace period after a signal) leaves no
  // half-written temporary file beside the baseline.
  const onExit = () => rmSync(temporary, { force: true });
  process.once('exit', onExit);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, manifestBytes(manifest));
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new JobError('E_WRITE', `cannot write ${path}: ${(error as Error).message}`, {
      at: path,
      hint: 'nothing was saved; the previous file, if any, is unchanged',
      cause: error,
    });
  } finally {
    process.removeListener('exit', onExit);
  }
}
