// The parts of gulp 5, gulp-rev 12 and gulp-rev-rewrite 6 the hash benchmark uses (they ship no
// types); dev dependencies of the benchmark only.
declare module 'gulp' {
  const gulp: {
    src(
      globs: string | readonly string[],
      options?: { cwd?: string; base?: string; encoding?: false | string },
    ): NodeJS.ReadWriteStream;
    dest(folder: string): NodeJS.ReadWriteStream;
  };
  export default gulp;
}
declare module 'gulp-rev' {
  export default function rev(): NodeJS.ReadWriteStream;
}
declare module 'gulp-rev-rewrite' {
  export default function revRewrite(options?: { manifest?: Buffer }): NodeJS.ReadWriteStream;
}
