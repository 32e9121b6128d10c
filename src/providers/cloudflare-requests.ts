import type Cloudflare from 'cloudflare';
import type { PurgeBatch } from './provider.ts';

type PurgeParams = Parameters<Cloudflare['cache']['purge']>[0];
type FileEntry = string | { url: string; headers: Record<string, string> };

// Hostname, tag and prefix purges are on every plan ("Purge options" row of the availability
// table) and take 100 items of each kind per request (cloudflare/cloudflare-docs#32906, which
// replaced the older "30 per request, Enterprise only").
export const FLEX_ITEMS_PER_REQUEST = 100;

/** One purge_cache call: its body and how messages name it. */
export interface PurgeRequest {
  readonly params: PurgeParams;
  /** `files=30 [first … last]`, for describe(). */
  readonly summary: string;
  /** `30 URLs`, for messages. */
  readonly size: string;
  /** Entries in the body: too-large only means something when a split is possible. */
  readonly entries: number;
}

export function toRequests(
  batch: PurgeBatch,
  zone_id: string,
  perRequest: number,
  combinations: readonly Record<string, string>[],
): PurgeRequest[] {
  switch (batch.kind) {
    case 'urls': {
      // Without cache-key headers, the plain form `files: [url, …]`; with them, one
      // `{ url, headers }` per combination (purge-cache-key docs: CF-Device-Type, CF-IPCountry,
      // Accept-Language must match what the object was cached with).
      const plain = combinations.every((headers) => Object.keys(headers).length === 0);
      const files = batch.urls.flatMap((url): FileEntry[] =>
        plain ? [url] : combinations.map((headers) => ({ url, headers })),
      );
      return chunk(files, perRequest).map((part) => {
        const urls = part.map((file) => (typeof file === 'string' ? file : file.url));
        const unique = [...new Set(urls)];
        const size =
          part.length === unique.length
            ? plural(part.length, 'URL')
            : `${plural(unique.length, 'URL')} (${part.length} files entries)`;
        return {
          params: { zone_id, files: part } as PurgeParams,
          summary: `files=${part.length} ${span(unique)}`,
          size,
          entries: part.length,
        };
      });
    }
    case 'prefixes':
      return chunk(batch.prefixes, FLEX_ITEMS_PER_REQUEST).map((part) => ({
        params: { zone_id, prefixes: [...part] },
        summary: `prefixes=${part.length} ${span(part)}`,
        size: plural(part.length, 'prefix', 'prefixes'),
        entries: part.length,
      }));
    case 'tags':
      return chunk(batch.tags, FLEX_ITEMS_PER_REQUEST).map((part) => ({
        params: { zone_id, tags: [...part] },
        summary: `tags=${part.length} ${span(part)}`,
        size: plural(part.length, 'tag'),
        entries: part.length,
      }));
    case 'hosts':
      return chunk(batch.hosts, FLEX_ITEMS_PER_REQUEST).map((part) => ({
        params: { zone_id, hosts: [...part] },
        summary: `hosts=${part.length} ${span(part)}`,
        size: plural(part.length, 'host'),
        entries: part.length,
      }));
    case 'everything':
      // purge_everything is zone-wide and "must be the only field in the request" (SDK
      // CachePurgeEverything): the batch's hosts are all in this zone anyway.
      return [
        {
          params: { zone_id, purge_everything: true },
          summary: 'purge_everything=true',
          size: 'everything',
          entries: 1,
        },
      ];
  }
}

/** Every combination of the configured cache-key header values; [{}] when there are none. */
export function headerCombinations(
  cacheKeyHeaders: Record<string, string[]> | undefined,
): Record<string, string>[] {
  let combos: Record<string, string>[] = [{}];
  for (const [name, values] of Object.entries(cacheKeyHeaders ?? {})) {
    combos = combos.flatMap((combo) => values.map((value) => ({ ...combo, [name]: value })));
  }
  return combos;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let i = 0; i < items.length; i += size) parts.push(items.slice(i, i + size));
  return parts;
}

function span(items: readonly string[]): string {
  if (items.length === 0) return '[]';
  if (items.length === 1) return `[${items[0]}]`;
  return `[${items[0]} … ${items[items.length - 1]}]`;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
