import type Cloudflare from 'cloudflare';
import { APIUserAbortError } from 'cloudflare';
import { apiErrors, classify, type SendContext, toPurgeError } from './cloudflare-errors.ts';
import type { PurgeRequest } from './cloudflare-requests.ts';
import { PurgeError } from './purge-error.ts';

/** Shape of every v4 API answer (success and failure alike). */
interface Envelope {
  success?: unknown;
  errors?: unknown;
}

export async function send(
  client: Cloudflare,
  request: PurgeRequest,
  context: SendContext,
  signal: AbortSignal,
): Promise<void> {
  let response: Response;
  try {
    // asResponse(): the SDK only throws for non-2xx; the envelope's `success` is ours to read.
    response = await client.cache.purge(request.params, { signal }).asResponse();
  } catch (error) {
    if (signal.aborted || error instanceof APIUserAbortError) throw signal.reason ?? error;
    throw toPurgeError(error, request, context);
  }
  const text = await response.text().catch(() => '');
  let envelope: Envelope | undefined;
  try {
    envelope = JSON.parse(text) as Envelope;
  } catch {
    envelope = undefined;
  }
  if (envelope?.success === true) return;
  if (envelope === undefined || typeof envelope !== 'object' || envelope === null) {
    throw new PurgeError(
      'E_CF_RESPONSE',
      `cloudflare zone ${context.zoneId}: purge of ${request.size} answered ${response.status} without a JSON envelope`,
      {
        // A proxy or an outage page in between: another try may reach the API.
        kind: 'server',
        status: response.status,
        at: context.at,
        hint: 'check CLOUDFLARE_BASE_URL and any proxy between here and api.cloudflare.com',
      },
    );
  }
  // A 2xx whose envelope says success: false did not purge anything.
  throw classify(response.status, apiErrors(envelope.errors), response.headers, request, context);
}
