/**
 * The demo edge's object store: one object per Host + path + query, kept past its freshness so
 * it can be revalidated with its stored validators, dropped by PURGE (one URL) and BAN (a prefix).
 */
import type CachePolicy from 'http-cache-semantics';

export interface CachedObject {
  readonly host: string;
  /** Request target: path and query, as received. */
  readonly url: string;
  readonly status: number;
  readonly body: Buffer;
  readonly policy: CachePolicy;
  /** The origin said nothing about freshness, so the edge's own TTL applies. */
  readonly edgeTtl: boolean;
  readonly storedAt: number;
  readonly keepUntil: number;
}

export interface EdgeCache {
  /** The object stored for `host` + `url`, unless it is past its keep time (then it is dropped). */
  lookup(host: string, url: string): CachedObject | undefined;
  /** Stores a response, or drops the stored one if the new response is not storable. */
  store(host: string, url: string, status: number, body: Buffer, policy: CachePolicy): void;
  /** Whether `object` may be served for `request` without asking the origin. */
  isFresh(object: CachedObject, request: CachePolicy.Request): boolean;
  /** Drops the object for `host` + `url`; whether there was one. */
  purge(host: string, url: string): boolean;
  /** Drops every object of `host` whose URL starts with `prefix`; how many there were. */
  ban(host: string, prefix: string): number;
}

/**
 * An empty cache whose TTL (`ttlMs`) applies to responses without Cache-Control or Expires, and
 * which keeps every object at least that long.
 */
export function createEdgeCache(ttlMs: number): EdgeCache {
  const cache = new Map<string, CachedObject>();
  const keyOf = (host: string, url: string) => `${host}${url}`;

  return {
    lookup(host, url) {
      const key = keyOf(host, url);
      const object = cache.get(key);
      if (object !== undefined && Date.now() > object.keepUntil) {
        cache.delete(key);
        return undefined;
      }
      return object;
    },

    store(host, url, status, body, policy) {
      const key = keyOf(host, url);
      if (!policy.storable()) {
        cache.delete(key);
        return;
      }
      const headers = policy.responseHeaders();
      const now = Date.now();
      cache.set(key, {
        host,
        url,
        status,
        body,
        policy,
        edgeTtl: headers['cache-control'] === undefined && headers.expires === undefined,
        storedAt: now,
        keepUntil: now + Math.max(policy.timeToLive(), ttlMs),
      });
    },

    isFresh(object, request) {
      if (object.policy.satisfiesWithoutRevalidation(request)) return true;
      return object.edgeTtl && Date.now() - object.storedAt < ttlMs;
    },

    purge(host, url) {
      return cache.delete(keyOf(host, url));
    },

    ban(host, prefix) {
      let banned = 0;
      for (const [key, object] of cache) {
        if (object.host === host && object.url.startsWith(prefix)) {
          cache.delete(key);
          banned++;
        }
      }
      return banned;
    },
  };
}
