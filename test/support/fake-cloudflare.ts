import { randomBytes } from 'node:crypto';
import {
  type FakeAnswer,
  type FakeRequest,
  type FakeServer,
  startFakeServer,
} from './fake-http.ts';

/** The body of POST /zones/{zone_id}/purge_cache, as the API documents it. */
export interface PurgeBody {
  files?: (string | { url?: string; headers?: Record<string, string> })[];
  prefixes?: string[];
  tags?: string[];
  hosts?: string[];
  purge_everything?: boolean;
}

export interface FakeCloudflareOptions {
  readonly token: string;
  readonly zoneId: string;
  /** URLs (files entries) one request may hold; 30 outside Enterprise. */
  readonly maxFilesPerRequest?: number;
  /** Runs for each accepted purge before the API answers (e.g. forward it to a real Varnish). */
  readonly onPurge?: (body: PurgeBody) => void | Promise<void>;
}

export interface FakeCloudflare {
  /** Base URL including /client/v4, as CLOUDFLARE_BASE_URL or `baseURL` expect it. */
  readonly url: string;
  readonly server: FakeServer;
  /** What accepted requests purged; refused and faulted requests do not count. */
  purged(): {
    files: string[];
    prefixes: string[];
    tags: string[];
    hosts: string[];
    everything: number;
  };
}

const API_PREFIX = '/client/v4';
// Tag, host and prefix purges take 100 items each (cloudflare/cloudflare-docs#32906).
const MAX_FLEX_ITEMS = 100;

/** The v4 failure envelope: `{ success: false, errors: [{ code, message }], messages: [], result: null }`. */
function failure(status: number, errors: { code: number; message: string }[]): FakeAnswer {
  return { status, body: { success: false, errors, messages: [], result: null } };
}

// A wrong or missing token: 401 with 10000 "Authentication error" (purge_cache failing with it:
// HyphaApp/hypha#1969; the same envelope is recorded from the live API in public client tests).
const AUTH_ERROR = failure(401, [{ code: 10000, message: 'Authentication error' }]);

/**
 * A loopback Cloudflare API v4 with one zone and one token: answers purge_cache as the real
 * API documents it, records what was purged, and takes faults through `server.faults`.
 */
export async function startFakeCloudflare(opts: FakeCloudflareOptions): Promise<FakeCloudflare> {
  const maxFiles = opts.maxFilesPerRequest ?? 30;
  const purged = { files: [] as string[], prefixes: [] as string[], tags: [] as string[] };
  const hosts: string[] = [];
  let everything = 0;

  const handle = async (request: FakeRequest): Promise<FakeAnswer> => {
    const path = request.url.split('?')[0] ?? '';
    const route = /^\/client\/v4\/zones\/([^/]*)\/purge_cache\/?$/.exec(path);
    if (route === null || request.method !== 'POST') {
      return failure(400, [{ code: 7000, message: 'No route for that URI' }]);
    }
    if (request.headers.authorization !== `Bearer ${opts.token}`) return AUTH_ERROR;
    const zone = route[1] ?? '';
    if (zone !== opts.zoneId) {
      // timothymiller/cloudflare-ddns#152, lukesUbuntu/cloudflare-api#4: a zone name or a wrong
      // ID is a routing failure (7003 with 7000), answered with 400.
      return failure(400, [
        {
          code: 7003,
          message: `Could not route to ${path}, perhaps your object identifier is invalid?`,
        },
        { code: 7000, message: 'No route for that URI' },
      ]);
    }
    let body: PurgeBody;
    try {
      body = JSON.parse(request.body) as PurgeBody;
    } catch {
      return failure(400, [{ code: 6007, message: 'Malformed JSON in request body' }]);
    }
    const refusal = validate(body, maxFiles);
    if (refusal !== undefined) return refusal;
    try {
      await opts.onPurge?.(body);
    } catch (error) {
      return failure(500, [{ code: 10001, message: `purge forwarding failed: ${String(error)}` }]);
    }
    for (const file of body.files ?? []) {
      purged.files.push(typeof file === 'string' ? file : (file.url ?? ''));
    }
    purged.prefixes.push(...(body.prefixes ?? []));
    purged.tags.push(...(body.tags ?? []));
    hosts.push(...(body.hosts ?? []));
    if (body.purge_everything === true) everything += 1;
    return {
      status: 200,
      body: {
        success: true,
        errors: [],
        messages: [],
        result: { id: randomBytes(16).toString('hex') },
      },
    };
  };

  const server = await startFakeServer(handle);
  return {
    url: `${server.url}${API_PREFIX}`,
    server,
    purged: () => ({
      files: [...purged.files],
      prefixes: [...purged.prefixes],
      tags: [...purged.tags],
      hosts: [...hosts],
      everything,
    }),
  };
}

/** The API's own refusals of a body, or undefined when it would be accepted. */
function validate(body: PurgeBody, maxFiles: number): FakeAnswer | undefined {
  const fields = (['files', 'prefixes', 'tags', 'hosts', 'purge_everything'] as const).filter(
    (field) => body[field] !== undefined,
  );
  if (fields.length !== 1) {
    // community.cloudflare.com/t/how-to-list-urls-for-purge-cache/395157: exactly one field.
    return failure(400, [
      {
        code: 1012,
        message:
          'Request must contain one of "purge_everything", "files", "tags", "hosts" or "prefixes"',
      },
    ]);
  }
  for (const field of ['files', 'prefixes', 'tags', 'hosts'] as const) {
    const value = body[field];
    if (value === undefined) continue;
    if (!Array.isArray(value)) {
      // cloudflare/cloudflare-php#61
      return failure(400, [
        { code: 1014, message: '"files", "tags", or "hosts" must be an array' },
      ]);
    }
    const limit = field === 'files' ? maxFiles : MAX_FLEX_ITEMS;
    if (value.length > limit) {
      // 400 with the v4 envelope (MnemeHQ/mneme#215: "returned HTTP 400"); the wording follows
      // cloudflare/cloudflare-docs#21338 ("you cannot provide more than 100 items"). The error
      // code is published nowhere we could find: 1018 is a placeholder next to the documented
      // purge validation codes 1012/1014, and edgepurge does not rely on it.
      return failure(400, [
        {
          code: 1018,
          message: `You cannot provide more than ${limit} items in "${field}" in a single request`,
        },
      ]);
    }
  }
  if (body.purge_everything !== undefined && body.purge_everything !== true) {
    return failure(400, [{ code: 1012, message: '"purge_everything" must be true' }]);
  }
  return undefined;
}
