import { constants, rmSync } from 'node:fs';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { InputError, JobError } from '../errors.ts';
import { type Manifest, parseManifest, serializeManifest } from './manifest.ts';

/**
 * The largest manifest file read: a little under V8's longest string (~512 MiB), which a
 * 1,000,000-file manifest (~150 MB) stays far below. Past it the read is refused, not crashed.
 */
export const MAX_MANIFEST_BYTES = 480 * 1024 * 1024;

/**
 * Reads a manifest file; `undefined` when it does not exist (a first deploy). Only a regular
 * file is read: a FIFO would block forever and a device never ends (opened non-blocking, then
 * checked). `at` names the key or flag the path came from in errors. An abort of `signal`
 * stops the read (a 150 MB baseline takes a while) and is thrown as it is: an interruption,
 * not a bad file.
 */
export async function readManifestFile(
  path: string,
  at: string = path,
  signal?: AbortSignal,
): Promise<Manifest | undefined> {
  const refuse = (why: string, hint?: string): never => {
    throw new InputError('E_MANIFEST', `cannot read ${path}: ${why}`, { at, hint });
  };
  let text = '';
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
      text = await handle.readFile({ encoding: 'utf8', signal });
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    signal?.throwIfAborted();
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    refuse((error as Error).message);
  }
  // Parsing is synchronous (seconds for a 150 MB baseline): let a signal that came during the
  // read be handled before it, and one that came during it be handled after.
  await nextTurn();
  signal?.throwIfAborted();
  const manifest = parseManifest(text, path);
  await nextTurn();
  signal?.throwIfAborted();
  return manifest;
}

/** Reads a manifest that must exist. */
export async function requireManifestFile(
  path: string,
  what = 'manifest',
  at: string = path,
): Promise<Manifest> {
  const manifest = await readManifestFile(path, at);
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
 * process leaves the old baseline or the new one, never half of one.
 */
export async function writeManifestFile(path: string, manifest: Manifest): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  // A process that exits mid-write (the CLI's grace period after a signal) leaves no
  // half-written temporary file beside the baseline.
  const onExit = () => rmSync(temporary, { force: true });
  process.once('exit', onExit);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, serializeManifest(manifest));
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
