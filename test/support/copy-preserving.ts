import { execFileSync } from 'node:child_process';
import { stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Replaces `target` with `content` the way a deploy by `cp -p` does when the build pinned
 * mtimes (reproducible builds): the new file is written in `scratch` with the target's mtime,
 * then copied over it with the real `cp -p`. Size is the caller's business (same size = same
 * nginx ETag). Returns the mtime kept.
 */
export async function copyPreservingMtime(
  target: string,
  content: string,
  scratch: string,
): Promise<Date> {
  const { mtime } = await stat(target);
  const build = path.join(scratch, `build-${path.basename(target)}`);
  await writeFile(build, content);
  await utimes(build, mtime, mtime);
  execFileSync('cp', ['-p', build, target]);
  return mtime;
}
