/**
 * End-to-end test support: the real nginx + Varnish stack (src/demo/system-stack.ts), a
 * `describe` that skips visibly or fails when the stack is missing, and a raw HTTP helper.
 */
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { describe, it } from 'vitest';
import { e2eAvailability, type SystemStack } from '../../src/demo/system-stack.ts';

export {
  EXAMPLE_VCL,
  e2eAvailability,
  type SystemStack as Stack,
  startSystemStack as startStack,
} from '../../src/demo/system-stack.ts';

/**
 * Writes `work/file` (default edgepurge.config.json): the site in `work/public` published at
 * `http://host`, purged through the stack's Varnish and verified through it, the baseline in
 * `.edgepurge/`. `extra` adds or overrides keys.
 */
export function writeStackConfig(
  work: string,
  stack: Pick<SystemStack, 'edgeUrl' | 'edgePort'>,
  host: string,
  extra: Record<string, unknown> = {},
  file = 'edgepurge.config.json',
): Promise<void> {
  return writeFile(
    path.join(work, file),
    JSON.stringify({
      dir: 'public',
      baseUrl: `http://${host}`,
      baseline: '.edgepurge/baseline.json',
      providers: [{ type: 'varnish', endpoints: [stack.edgeUrl] }],
      verify: { connectTo: [`${host}:80:127.0.0.1:${stack.edgePort}`], timeoutSeconds: 3 },
      ...extra,
    }),
  );
}

/**
 * `describe` for suites that need the real stack. Without it the suite is skipped with the reason
 * in its title and a warning on stderr, unless EDGEPURGE_E2E=required (CI), where a test fails
 * with the reason instead.
 */
export function describeE2E(name: string, fn: () => void): void {
  const availability = e2eAvailability();
  if (availability.ok) {
    describe(name, fn);
    return;
  }
  const { reason } = availability;
  if (process.env.EDGEPURGE_E2E === 'required') {
    describe(name, () => {
      it('needs nginx, Varnish and the xkey vmod (EDGEPURGE_E2E=required)', () => {
        throw new Error(`end-to-end stack unavailable: ${reason}`);
      });
    });
    return;
  }
  console.warn(
    `[e2e] skipping "${name}": ${reason}. Set EDGEPURGE_E2E=required to fail instead of skipping.`,
  );
  describe.skip(`${name} [skipped: ${reason}]`, fn);
}

// ---------------------------------------------------------------------------------------------

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A plain HTTP/1.1 request with full control of method and Host (fetch forbids setting Host),
 * no connection reuse, and optionally a local source address.
 */
export function httpRequest(
  url: string,
  opts: {
    method?: string;
    host?: string;
    headers?: Record<string, string>;
    localAddress?: string;
  } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.host) headers.host = opts.host;
    const req = http.request(
      url,
      {
        method: opts.method ?? 'GET',
        headers,
        agent: false,
        timeout: 10_000,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out: ${opts.method ?? 'GET'} ${url}`)));
    req.on('error', reject);
    req.end();
  });
}
