import { constants } from 'node:fs';
import { access, lstat, mkdtemp, rmdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InputError } from './errors.ts';

/**
 * Refuses, before any work, a file that could not be written later: its folder (or the nearest
 * one that exists, since missing folders are created) is not a writable directory, or the path
 * is a directory. A deploy must not purge and verify only to fail writing its baseline.
 */
export async function checkWritable(path: string, at: string): Promise<void> {
  const refuse = (why: string): never => {
    throw new InputError('E_WRITE', `cannot write ${path}: ${why}`, {
      at,
      hint: 'choose a path in a writable folder',
    });
  };
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) refuse('it is a directory');
  if (existing === undefined && (await isDanglingLink(path))) refuse('it is a dangling symlink');
  let folder = dirname(path);
  for (;;) {
    const info = await stat(folder).catch((error: NodeJS.ErrnoException) => error);
    if (!(info instanceof Error)) {
      if (!info.isDirectory()) refuse(`${folder} is not a directory`);
      await access(folder, constants.W_OK).catch(() => refuse(`${folder} is not writable`));
      // Root passes access() everywhere, /proc included: only creating something proves it.
      const probe = await mkdtemp(join(folder, '.edgepurge-check-')).catch(() =>
        refuse(`nothing can be created in ${folder}`),
      );
      await rmdir(probe);
      return;
    }
    if (info.code === 'ENOTDIR') refuse(`a part of ${folder} is not a directory`);
    // A folder that is a link to nowhere: mkdir would fail on it after the deploy's work.
    if (await isDanglingLink(folder)) refuse(`${folder} is a dangling symlink`);
    const parent = dirname(folder);
    if (parent === folder) refuse('no folder of it exists');
    folder = parent;
  }
}

async function isDanglingLink(path: string): Promise<boolean> {
  const info = await lstat(path).catch(() => undefined);
  return info?.isSymbolicLink() === true;
}
