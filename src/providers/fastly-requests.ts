import type { FastlyConfig } from '../config/schema.ts';
import type { PurgeBatch } from './provider.ts';
import { PurgeError } from './purge-error.ts';

// "Up to 256 surrogate keys can be purged in one batch request" (bulkPurgeTag,
// https://github.com/fastly/fastly-js/blob/main/docs/PurgeApi.md); more is refused with 400
// "Batch surrogate key request only supports up to 256 surrogate keys"
// (https://github.com/fastly/fastly-magento2/issues/104).
export const FASTLY_MAX_KEYS = 256;

type Operation = 'url' | 'keys' | 'all';

/** One API request, described without the token. */
export interface FastlyRequest {
  readonly op: Operation;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** What a message names: the URL, the keys, or purge_all. */
  readonly target: string;
  readonly keys?: readonly string[];
}

/** The API requests a batch stands for; refuses what Fastly cannot do before sending anything. */
export function fastlyRequests(
  batch: PurgeBatch,
  base: string,
  config: FastlyConfig,
): FastlyRequest[] {
  const service = `${base}/service/${encodeURIComponent(config.serviceId)}`;
  // "add a Fastly-Soft-Purge request header (such as Fastly-Soft-Purge: 1) to any single URL or
  // key-based purge" (https://www.fastly.com/documentation/guides/full-site-delivery/purging/soft-purges).
  // The plan decides per entry (`mode`, purge-mode.ts); a batch without one (a library caller)
  // follows the provider's `soft`.
  const softly = batch.mode === undefined ? config.soft : batch.mode === 'soft';
  const soft: Record<string, string> = softly ? { 'Fastly-Soft-Purge': '1' } : {};
  switch (batch.kind) {
    case 'urls':
      return batch.urls.map((raw) => ({
        op: 'url',
        url: `${base}/purge/${hostAndPath(raw, config)}`,
        headers: soft,
        target: raw,
      }));
    case 'tags': {
      const keys = [...new Set(batch.tags)];
      for (const key of keys) checkKey(key, config);
      const requests: FastlyRequest[] = [];
      for (let start = 0; start < keys.length; start += FASTLY_MAX_KEYS) {
        const chunk = keys.slice(start, start + FASTLY_MAX_KEYS);
        requests.push({
          op: 'keys',
          url: `${service}/purge`,
          // The keys go in a Surrogate-Key header, space-separated, instead of a JSON body
          // (bulkPurgeTag, https://github.com/fastly/fastly-js/blob/main/docs/PurgeApi.md).
          headers: { 'Surrogate-Key': chunk.join(' '), ...soft },
          target: keysTarget(chunk),
          keys: chunk,
        });
      }
      return requests;
    }
    case 'everything':
      if (softly) {
        throw new PurgeError(
          'E_FASTLY_SOFT_PURGE_ALL',
          `${label(config)}: purge_all cannot be soft: Fastly has no soft purge-all, it always invalidates everything at once`,
          {
            kind: 'invalid',
            at: `${service}/purge_all`,
            // The workaround is Fastly's own: purgeAll in
            // https://github.com/fastly/fastly-js/blob/main/docs/PurgeApi.md
            hint: 'set "soft": false on this provider to allow a hard purge_all, or tag every response with one Surrogate-Key (e.g. "all") and purge that key, which can be soft',
          },
        );
      }
      return [{ op: 'all', url: `${service}/purge_all`, headers: {}, target: 'purge_all' }];
    case 'prefixes':
    case 'hosts':
      throw new PurgeError(
        'E_FASTLY_UNSUPPORTED',
        `${label(config)}: Fastly has no ${batch.kind === 'prefixes' ? 'prefix' : 'host'} purge`,
        {
          kind: 'invalid',
          hint: 'purge by URL, by surrogate key (tags), or everything (purge_all)',
        },
      );
  }
}

/**
 * `host/path?query` of a URL for `POST /purge/{cached_url}`. WHATWG URL parsing keeps existing
 * percent-escapes and encodes what must be (a space becomes %20), so the path reaches Fastly as
 * the cache saw it. The query travels as the API request's own query string, which is how
 * go-fastly sends it (constructRequestOptionsParam in
 * https://github.com/fastly/go-fastly/blob/main/fastly/purge.go). No fragment: it never
 * reaches a cache.
 */
function hostAndPath(raw: string, config: FastlyConfig): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    throw new PurgeError(
      'E_FASTLY_URL',
      `${label(config)}: cannot purge "${raw}": not an absolute URL`,
      {
        kind: 'invalid',
        cause: error,
      },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PurgeError(
      'E_FASTLY_URL',
      `${label(config)}: cannot purge "${raw}": not an http(s) URL`,
      {
        kind: 'invalid',
      },
    );
  }
  return `${url.host}${url.pathname}${url.search}`;
}

/**
 * Surrogate-Key is a space-separated list (https://www.fastly.com/documentation/reference/http/http-headers/Surrogate-Key/):
 * a key with whitespace would silently purge two other keys, so it is refused before sending.
 */
function checkKey(key: string, config: FastlyConfig): void {
  // Keys are printable ASCII 0x21–0x7E (https://docs.rs/crate/fastly/latest/source/docs/snippets/cache-insert-surrogate-keys.md).
  if (key === '' || !/^[\x21-\x7e]+$/.test(key)) {
    throw new PurgeError(
      'E_FASTLY_KEY',
      `${label(config)}: surrogate key ${JSON.stringify(key)} is empty or holds spaces or non-ASCII characters`,
      { kind: 'invalid', hint: 'surrogate keys are printable ASCII without spaces' },
    );
  }
}

export function label(config: FastlyConfig): string {
  const name = config.name !== undefined && config.name !== 'fastly' ? ` (${config.name})` : '';
  return `fastly${name} service ${config.serviceId}`;
}

export function describeTarget(request: FastlyRequest): string {
  switch (request.op) {
    case 'url':
      return `URL purge of ${request.target}`;
    case 'keys':
      return `key purge of ${request.target}`;
    case 'all':
      return 'purge_all';
  }
}

/** Names a few keys and counts the rest, so a 256-key message stays one line. */
export function keysTarget(keys: readonly string[]): string {
  const shown = keys.slice(0, 5).join(' ');
  return keys.length > 5 ? `${keys.length} keys (${shown} …)` : shown;
}
