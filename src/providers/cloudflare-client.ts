import Cloudflare from 'cloudflare';
import type { CloudflareOptions } from './cloudflare.ts';

export { send } from './cloudflare-send.ts';

/**
 * The SDK client for one provider. This module is the only way into the `cloudflare` SDK
 * (~0.8 s to load), and cloudflare.ts imports it at the first purge, so a command that sends
 * nothing to Cloudflare never loads it.
 */
export function createCloudflareClient(options: CloudflareOptions): Cloudflare {
  return new Cloudflare({
    apiToken: options.token,
    // Only the token authenticates: a CLOUDFLARE_API_KEY or CLOUDFLARE_EMAIL in the environment
    // must not add X-Auth-* headers the user did not ask for.
    apiKey: null,
    apiEmail: null,
    userServiceKey: null,
    // Left undefined, the constructor's default reads CLOUDFLARE_BASE_URL (client.ts:
    // `baseURL = readEnv('CLOUDFLARE_BASE_URL')`).
    ...(options.baseURL === undefined ? {} : { baseURL: options.baseURL }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    // The executor owns retries: the SDK's own retry sleeps for whatever Retry-After says,
    // without a cap (client.ts retryRequest), and would hide 429s from the shared pacing.
    maxRetries: 0,
    timeout: options.timeoutMs ?? 30_000,
    // The SDK logs to console (stdout); `--json` output must stay one document.
    logLevel: 'off',
  });
}
