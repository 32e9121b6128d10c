import { readFile } from 'node:fs/promises';
import { InputError } from '../../errors.ts';
import { type HashHistory, parseHashHistory } from './merge-hash-map.ts';

/**
 * Reads a hash history file: undefined when there is none yet; an InputError naming `at` when
 * the file is not one edgepurge wrote.
 */
export async function readHashHistory(path: string, at: string): Promise<HashHistory | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let history: HashHistory | undefined;
  try {
    history = parseHashHistory(JSON.parse(text));
  } catch {
    history = undefined;
  }
  if (history === undefined) {
    throw new InputError('E_HASH_MAP', `${path} is not an edgepurge hash history`, {
      at,
      hint: 'remove the file (the next run starts a new history) or point it elsewhere',
    });
  }
  return history;
}
