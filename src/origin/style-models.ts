import { apacheInodeStyle, apacheStyle } from './apache-style.ts';
import { caddy20Style, caddy28Style, caddyStyle } from './caddy-style.ts';
import { expressStyle } from './express-style.ts';
import { lighttpdStyle } from './lighttpd-style.ts';
import { nginxStyle } from './nginx-style.ts';
import type { OriginStyle, StyleModel } from './origin-style.ts';

/**
 * `content`: the ETag follows the bytes (S3 single-part uploads: the MD5; Cloudflare Pages and
 * Workers assets, Netlify, nginx with a content-hash module). Nothing local predicts the value;
 * it changes exactly when the content does, so a kept mtime is no hazard and a touch is useless.
 */
const contentStyle: StyleModel = {
  style: 'content',
  label: 'content-derived ETags (S3, Cloudflare Pages, Netlify, …)',
  resolutionMs: undefined,
  weak: false,
  toleranceMs: 0,
  predict: () => undefined,
  decode: () => undefined,
};

/**
 * `none`: no ETag (nginx `etag off`, Apache `FileETag None`); Last-Modified, the mtime in
 * whole seconds, is the validator left, so its hazards are nginx's without the size.
 */
const noneStyle: StyleModel = {
  style: 'none',
  label: 'no ETag (Last-Modified only)',
  resolutionMs: 1000,
  weak: false,
  toleranceMs: 0,
  predict: () => undefined,
  decode: () => undefined,
};

const MODELS: Readonly<Record<OriginStyle, StyleModel>> = {
  nginx: nginxStyle,
  apache: apacheStyle,
  'apache-inode': apacheInodeStyle,
  express: expressStyle,
  caddy: caddyStyle,
  'caddy-2.8': caddy28Style,
  'caddy-2.0': caddy20Style,
  lighttpd: lighttpdStyle,
  content: contentStyle,
  none: noneStyle,
};

/** The model of `style`: formula, decoder, resolution. */
export function styleModel(style: OriginStyle): StyleModel {
  return MODELS[style];
}

/** Every model, in the order identification tries them. */
export function allStyleModels(): readonly StyleModel[] {
  return Object.values(MODELS);
}
