import { looksLikeLighttpd } from './lighttpd-style.ts';
import { opaqueTag } from './opaque-tag.ts';
import {
  type DecodedEtag,
  type FileStat,
  type OriginStyle,
  plausibleMtimeMs,
  type StyleModel,
} from './origin-style.ts';
import { allStyleModels } from './style-models.ts';

/** What an observed ETag says about the origin's validator style, and why. */
export interface StyleIdentification {
  readonly style: OriginStyle;
  /**
   * `exact`: the ETag is the style's prediction for the file's size and mtime. `shape`: it has
   * the style's form and the file's size, but another mtime (or it is a hash that cannot be
   * checked). `none`: nothing matched; taken as `content`.
   */
  readonly match: 'exact' | 'shape' | 'none';
  /** In words, for `plan` and the report. */
  readonly evidence: string;
  /** Something the user should act on (an upload that drops mtimes, an unknown ETag). */
  readonly warning?: string;
}

export interface IdentifyOptions {
  /** The styles to try (default: all but `content` and `none`, which predict nothing). */
  readonly candidates?: readonly OriginStyle[];
}

/**
 * Which style built `observedEtag` for a file of this size and mtime. The ETag is compared
 * weakly (a `W/`, a `-gzip` or `;gzip` suffix from compression is tolerated) against each
 * style's prediction; failing that, against each style's form with the file's size (the origin
 * runs that server, but its copy has another mtime). No ETag → `none`; nothing matched →
 * `content`, with a warning naming what was seen. Pure.
 */
export function identifyStyle(
  observedEtag: string | undefined,
  file: FileStat,
  options: IdentifyOptions = {},
): StyleIdentification {
  const observed = opaqueTag(observedEtag);
  if (observed === undefined) {
    return { style: 'none', match: 'exact', evidence: 'the response has no ETag' };
  }
  const models = allStyleModels().filter(
    (model) =>
      model.style !== 'content' &&
      model.style !== 'none' &&
      (options.candidates === undefined || options.candidates.includes(model.style)),
  );
  const seen = `ETag ${observedEtag?.trim()}`;
  const what = `${file.size} bytes, mtime ${new Date(file.mtimeMs).toISOString()}`;
  const coding = codingNote(observed.weak, observed.suffix);

  for (const model of models) {
    if (matchesExactly(model, observed.tag, file)) {
      return {
        style: model.style,
        match: 'exact',
        evidence: `${seen} is what ${model.label} sends for ${what}${coding}`,
      };
    }
  }
  for (const model of models) {
    const decoded = model.decode(observed.tag, file.size);
    if (decoded === undefined || decoded.size !== file.size || !plausibleMtimeMs(decoded.mtimeMs))
      continue;
    const origin = new Date(decoded.mtimeMs).toISOString();
    return {
      style: model.style,
      match: 'shape',
      evidence: `${seen} has the form of ${model.label} and the file's size, but the mtime ${origin}${coding}`,
      warning: `the origin's copy has mtime ${origin}, the release's ${new Date(file.mtimeMs).toISOString()}: the upload does not keep mtimes (rsync without --times / -a?), so validators at the origin change on every upload`,
    };
  }
  if (models.some((model) => model.style === 'lighttpd') && looksLikeLighttpd(observed.tag)) {
    return {
      style: 'lighttpd',
      match: 'shape',
      evidence: `${seen} is a decimal 32-bit hash, the form of lighttpd's (inode, size and mtime; not checkable without the origin's inode)${coding}`,
    };
  }
  return {
    style: 'content',
    match: 'none',
    evidence: `${seen} is no mtime-and-size ETag for ${what}${coding}`,
    warning: `${seen} matches none of the mtime-based formulas (nginx, Apache, Express, Caddy, lighttpd) for ${what}: treated as a content-derived ETag; set origin.validators if the origin is one of them`,
  };
}

/** The prediction, compared weakly; or the decoded fields within the precision the mtime kept. */
function matchesExactly(model: StyleModel, tag: string, file: FileStat): boolean {
  const predicted = opaqueTag(model.predict(file));
  if (predicted !== undefined && predicted.tag === tag) return true;
  if (model.toleranceMs === 0) return false;
  const decoded = model.decode(tag, file.size);
  return decoded !== undefined && sameFile(decoded, file, model.toleranceMs);
}

function sameFile(decoded: DecodedEtag, file: FileStat, toleranceMs: number): boolean {
  // The inode (apache-inode) is not compared: a remote origin's copy has its own.
  return decoded.size === file.size && Math.abs(decoded.mtimeMs - file.mtimeMs) < toleranceMs;
}

function codingNote(weak: boolean, suffix: string | undefined): string {
  if (suffix !== undefined) return ` (with ${suffix}: compressed at the origin)`;
  return weak ? ' (weak: W/)' : '';
}
