import { type Dirent, readdirSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, JobError } from '../errors.ts';
import { comparePaths } from './manifest.ts';

/** One directory being listed: its entries' sort keys (directories end in `/`). */
interface Frame {
  /** POSIX path of the directory relative to the root, with a trailing `/` ('' for the root). */
  readonly rel: string;
  /** Real path of the directory: the base for its plain children, and the cycle guard's key. */
  readonly real: string;
  readonly keys: string[];
  /** Real targets of the symlinked directories among `keys`. */
  readonly links: Map<string, string> | undefined;
  index: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Depth-first walk that yields file paths in `comparePaths` order without sorting them all:
 * entries of a directory sort by name with `/` appended to directories, and every path below
 * a directory starts with that key, so visiting keys in order yields all paths in order.
 */
export class Walker {
  /** The directory as the caller named it, for messages. */
  readonly dir: string;
  /** Its real path: what workers open files under. */
  readonly root: string;
  readonly #inside: string;
  readonly #stack: Frame[] = [];
  /** Real paths of the directories on the stack: entering one again would loop. */
  readonly #open = new Set<string>();

  constructor(dir: string) {
    this.dir = dir;
    const absolute = resolve(dir);
    try {
      if (!statSync(absolute).isDirectory()) {
        throw new InputError('E_DIR', `${dir} is not a directory`, {
          at: dir,
          hint: 'pass the directory your build writes the site to (e.g. dist/ or public/)',
        });
      }
      this.root = realpathSync(absolute);
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw new InputError(
        'E_DIR',
        `${dir} does not exist or cannot be opened (${(error as NodeJS.ErrnoException).code})`,
        {
          at: dir,
          hint: 'build the site first, or pass the directory it is written to (e.g. dist/ or public/)',
          cause: error,
        },
      );
    }
    this.#inside = this.root.endsWith('/') ? this.root : `${this.root}/`;
    this.#enter('', this.root);
  }

  /** The next file's relative path, or undefined when the walk is over. */
  next(): string | undefined {
    const stack = this.#stack;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as Frame;
      if (frame.index === frame.keys.length) {
        stack.pop();
        this.#open.delete(frame.real);
        continue;
      }
      const key = frame.keys[frame.index++] as string;
      if (key.charCodeAt(key.length - 1) !== 0x2f) return frame.rel + key;
      const real = frame.links?.get(key) ?? join(frame.real, key.slice(0, -1));
      // A symlink to a directory that is already open (an ancestor) would loop forever.
      if (this.#open.has(real)) continue;
      this.#enter(frame.rel + key, real);
    }
    return undefined;
  }

  #enter(rel: string, real: string): void {
    const keys: string[] = [];
    let links: Map<string, string> | undefined;
    for (const entry of this.#list(rel, real)) {
      const name = entry.name;
      if (entry.isFile()) keys.push(name);
      else if (entry.isDirectory()) keys.push(`${name}/`);
      else if (entry.isSymbolicLink()) {
        const target = this.#follow(rel + name, join(real, name));
        if (target === undefined) continue;
        if (target.isDirectory) {
          keys.push(`${name}/`);
          links ??= new Map();
          links.set(`${name}/`, target.real);
        } else keys.push(name);
      }
      // Sockets, FIFOs and devices are not content a web server sends: skipped.
    }
    keys.sort(comparePaths);
    this.#stack.push({ rel, real, keys, links, index: 0 });
    this.#open.add(real);
  }

  /** The directory's entries, with names checked to be valid UTF-8 without backslashes. */
  #list(rel: string, real: string): Dirent[] {
    let entries: Dirent[];
    try {
      // Names are decoded by Node (UTF-8, invalid bytes become U+FFFD): almost twice as fast as
      // `encoding: 'buffer'`, which allocates a Buffer per name. Only a directory with a U+FFFD
      // in some name is read again as bytes, to tell a real U+FFFD from undecodable bytes.
      entries = readdirSync(real, { withFileTypes: true });
    } catch (error) {
      throw this.#listError(rel, error);
    }
    let checked = false;
    for (const entry of entries) {
      const name = entry.name;
      if (!checked && name.includes('\uFFFD')) {
        this.#checkBytes(rel, real);
        checked = true;
      }
      if (name.includes('\\')) {
        const at = join(this.dir, rel, name);
        throw new InputError('E_FILE_NAME', `${at}: the file name contains a backslash`, {
          at,
          hint: 'rename it without "\\" (manifest paths refuse it; servers take it for a separator)',
        });
      }
    }
    return entries;
  }

  /** Throws E_FILE_NAME for the first name in the directory that is not valid UTF-8. */
  #checkBytes(rel: string, real: string): void {
    let raw: Buffer[];
    try {
      raw = readdirSync(real, { encoding: 'buffer' });
    } catch (error) {
      throw this.#listError(rel, error);
    }
    for (const name of raw) {
      try {
        utf8.decode(name);
      } catch {
        const at = join(this.dir, rel, escapeBytes(name));
        throw new InputError('E_FILE_NAME', `${at}: the file name is not valid UTF-8`, {
          at,
          hint: 'rename it with a UTF-8 name (URLs and CDNs cannot address it otherwise)',
        });
      }
    }
  }

  #listError(rel: string, error: unknown): Error {
    const at = join(this.dir, rel);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      return new InputError('E_FILE_READ', `cannot list ${at}: permission denied`, {
        at,
        hint: 'give the user running edgepurge read access, or remove the directory',
        cause: error,
      });
    }
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return new JobError('E_SCAN_RACE', `${at} vanished while it was scanned`, {
        at,
        hint: 'scan when nothing writes to the directory (after the build has finished)',
        cause: error,
      });
    }
    return error as Error;
  }

  /** The real target of a symlink that stays inside; undefined for one to a special file. */
  #follow(rel: string, path: string): { real: string; isDirectory: boolean } | undefined {
    const at = join(this.dir, rel);
    let real: string;
    try {
      real = realpathSync(path);
    } catch (error) {
      throw new InputError(
        'E_SYMLINK_ESCAPE',
        `${at} is a symlink that leads nowhere (${(error as NodeJS.ErrnoException).code})`,
        {
          at,
          hint: 'remove the dangling symlink, or make it point to a file inside the directory',
          cause: error,
        },
      );
    }
    if (real !== this.root && !real.startsWith(this.#inside)) {
      throw new InputError(
        'E_SYMLINK_ESCAPE',
        `${at} is a symlink to ${real}, outside ${this.dir}`,
        {
          at,
          hint: 'copy the target into the directory instead of linking to it',
        },
      );
    }
    const stat = statSync(real, { throwIfNoEntry: false });
    if (stat === undefined) {
      throw new JobError('E_SCAN_RACE', `${at}: its target vanished while it was scanned`, {
        at,
        hint: 'scan when nothing writes to the directory (after the build has finished)',
      });
    }
    if (stat.isDirectory()) return { real, isDirectory: true };
    if (stat.isFile()) return { real, isDirectory: false };
    return undefined;
  }
}

/** A byte string for a message: valid UTF-8 as text, other bytes as `\xff`. */
export function escapeBytes(raw: Uint8Array): string {
  let out = '';
  for (let i = 0; i < raw.length; ) {
    const byte = raw[i] as number;
    const length = byte < 0x80 ? 1 : byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 0;
    if (length === 1 && byte >= 0x20 && byte !== 0x7f && byte !== 0x5c) {
      out += String.fromCharCode(byte);
      i++;
      continue;
    }
    if (length > 1 && i + length <= raw.length) {
      try {
        out += utf8.decode(raw.subarray(i, i + length));
        i += length;
        continue;
      } catch {
        // not a valid sequence: escape its first byte and resynchronise on the next
      }
    }
    out += `\\x${byte.toString(16).padStart(2, '0')}`;
    i++;
  }
  return out;
}
