/**
 * The gulp-rev + gulp-rev-rewrite contestant of the hash benchmark, as a process: the inline
 * form of gulp-rev-rewrite's README (assets through `rev()`, the pages added, every file through
 * `revRewrite()`), with gulp's `src`/`dest` API and no gulpfile. `node gulp-rev-run.ts SRC OUT`.
 */
import { pipeline } from 'node:stream/promises';
import gulp from 'gulp';
import rev from 'gulp-rev';
import revRewrite from 'gulp-rev-rewrite';

const [src, out] = process.argv.slice(2);
if (src === undefined || out === undefined) throw new Error('usage: gulp-rev-run.ts SRC OUT');
await pipeline(
  // gulp 5 reads files as UTF-8 unless told otherwise: images must stay bytes.
  gulp.src(['**/*', '!**/*.html'], { cwd: src, base: src, encoding: false }),
  rev(),
  gulp.src('**/*.html', { cwd: src, base: src, encoding: false }),
  revRewrite(),
  gulp.dest(out),
);
