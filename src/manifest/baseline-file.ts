import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError, JobError } from '../errors.ts';
import { type Manifest, parseManifest, serializeManifest } from './manifest.ts';

/** Reads a manifest file; `undefined` when it does not exist (a first deploy). */
export async function readManifestFile(path: string): Promise<Manifest | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError('E_MANIFEST', `cannot read ${path}: ${(error as Error).message}`, {
      at: path,
    });
  }
  return parseManifest(text, path);
}

/** Reads a manifest that must exist. */
export async function requireManifestFile(path: string, what = 'manifest'): Promise<Manifest> {
  const manifest = await readManifestFile(path);
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
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, serializeManifest(manifest));
    await rename(temporary, path);
  } catch (error) {
    throw new JobError('E_WRITE', `cannot write ${path}: ${(error as Error).message}`, {
      at: path,
      hint: 'nothing was saved; the previous file, if any, is unchanged',
      cause: error,
    });
  }
}
