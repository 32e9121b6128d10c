/**
 * Headless Chromium for the end-to-end tests, over puppeteer-core: Debian's `chromium` loads
 * pages by the site's host name through the stack's Varnish and reports what a user's browser
 * would have seen go wrong (failed requests, console errors) with a screenshot of the result.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type HTTPRequest } from 'puppeteer-core';
import { describe, it } from 'vitest';

/** Debian's chromium (apt-get install chromium), or undefined where it is not installed. */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((file) =>
  existsSync(file),
);

/** The viewport every screenshot is taken at, so two loads of one page compare pixel for pixel. */
export const VIEWPORT = { width: 480, height: 360 } as const;

/** One request the page made, with its final status or why it failed. */
export interface RequestRecord {
  readonly url: string;
  /** Chromium's resource type: document, stylesheet, script, image, fetch, … */
  readonly type: string;
  /** The HTTP status of the response, if one came. */
  readonly status?: number;
  /** Chromium's error text (net::ERR_…) when the request failed without a response. */
  readonly failure?: string;
}

/** What one page load showed. */
export interface PageLoad {
  /** Every http(s) request, in the order the page made them. */
  readonly requests: readonly RequestRecord[];
  /** `<status> <url>` for responses >= 400, `<error> <url>` for failed or unanswered requests. */
  readonly failures: readonly string[];
  /** Console messages of type error, and uncaught exceptions (`pageerror: …`). */
  readonly consoleErrors: readonly string[];
  /** A PNG of the viewport after the load settled. */
  readonly screenshot: Buffer;
  /** The value of the `result` expression once it was defined, or undefined if it never was. */
  readonly result?: string;
}

export interface BrowserSession {
  /**
   * Loads `url` in a fresh incognito context (no cache, no cookies from other loads), waits for
   * the load event and, given `result` (a JS expression such as `document.body.dataset.result`),
   * for the page to define it, then for the network to be idle; then takes the screenshot.
   */
  loadPage(url: string, options?: { result?: string; timeoutMs?: number }): Promise<PageLoad>;
  /** Ends the browser and removes its profile. Idempotent. */
  close(): Promise<void>;
}

/**
 * Launches headless Chromium with its own temp profile, every `hosts` name on port 80 resolved
 * to 127.0.0.1:`edgePort` (the stack's Varnish) and every other name unresolvable, so nothing
 * leaves the machine and a stray external URL shows up as a failed request.
 */
export async function launchBrowser(opts: {
  edgePort: number;
  hosts: readonly string[];
  executablePath?: string;
}): Promise<BrowserSession> {
  const executablePath = opts.executablePath ?? CHROMIUM;
  if (executablePath === undefined) throw new Error('no chromium: apt-get install chromium');
  const profile = await mkdtemp(path.join(os.tmpdir(), 'edgepurge-chromium-'));
  const rules = [
    ...opts.hosts.map((host) => `MAP ${host}:80 127.0.0.1:${opts.edgePort}`),
    'MAP * ~NOTFOUND',
  ];
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      pipe: true,
      userDataDir: profile,
      defaultViewport: VIEWPORT,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--hide-scrollbars',
        `--host-resolver-rules=${rules.join(', ')}`,
      ],
      // Only what chromium needs: no proxy settings or credentials from the test's environment.
      env: { HOME: profile, PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    loadPage: (url, options = {}) => loadPage(browser, url, options),
    close() {
      closed ??= (async () => {
        await browser.close().catch(() => browser.process()?.kill('SIGKILL'));
        await rm(profile, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}

async function loadPage(
  browser: Browser,
  url: string,
  options: { result?: string; timeoutMs?: number },
): Promise<PageLoad> {
  const timeout = options.timeoutMs ?? 20_000;
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
    await page.setViewport(VIEWPORT);
    const seen = new Map<HTTPRequest, { status?: number; failure?: string }>();
    const consoleErrors: string[] = [];
    page.on('request', (request) => {
      if (/^https?:/.test(request.url())) seen.set(request, {});
    });
    page.on('response', (response) => {
      const entry = seen.get(response.request());
      if (entry) entry.status = response.status();
    });
    page.on('requestfailed', (request) => {
      const entry = seen.get(request);
      if (entry) entry.failure = request.failure()?.errorText ?? 'failed';
    });
    page.on('console', (message) => {
      if (message.type() === 'error') {
        const where = message.location().url;
        consoleErrors.push(where ? `${message.text()} (${where})` : message.text());
      }
    });
    page.on('pageerror', (error) => {
      consoleErrors.push(`pageerror: ${error instanceof Error ? error.message : String(error)}`);
    });

    await page.goto(url, { waitUntil: 'load', timeout });
    let result: string | undefined;
    if (options.result !== undefined) {
      // A page that never writes its result is a failed load, reported by the caller's
      // assertion on `result` (with the failures and console errors beside it), not a timeout.
      const handle = await page
        .waitForFunction(`(${options.result}) !== undefined`, { timeout })
        .catch(() => undefined);
      await handle?.dispose();
      const value: unknown = await page.evaluate(options.result);
      result = value === undefined ? undefined : String(value);
    }
    // Then whatever the page still fetches (the favicon, a late image): every request settled.
    await page.waitForNetworkIdle({ idleTime: 250, timeout });
    const screenshot = Buffer.from(await page.screenshot({ type: 'png' }));

    const requests = [...seen].map(([request, outcome]) => ({
      url: request.url(),
      type: request.resourceType(),
      ...outcome,
    }));
    const failures = requests.flatMap((request) => {
      if (request.failure !== undefined) return [`${request.failure} ${request.url}`];
      if (request.status === undefined) return [`no response ${request.url}`];
      return request.status >= 400 ? [`${request.status} ${request.url}`] : [];
    });
    return {
      requests,
      failures,
      consoleErrors,
      screenshot,
      ...(result === undefined ? {} : { result }),
    };
  } finally {
    await context.close();
  }
}

/**
 * `describe` for suites that need Chromium: skipped visibly where it is not installed, failing
 * instead where EDGEPURGE_E2E_BROWSER=required (CI installs chromium and sets it).
 */
export function describeBrowser(name: string, fn: () => void): void {
  if (CHROMIUM !== undefined) {
    describe(name, fn);
    return;
  }
  if (process.env.EDGEPURGE_E2E_BROWSER === 'required') {
    describe(name, () => {
      it('needs chromium (EDGEPURGE_E2E_BROWSER=required)', () => {
        throw new Error('no /usr/bin/chromium: apt-get install chromium');
      });
    });
    return;
  }
  console.warn(
    `[e2e] skipping "${name}": no /usr/bin/chromium. Set EDGEPURGE_E2E_BROWSER=required to fail instead of skipping.`,
  );
  describe.skip(`${name} [skipped: no chromium]`, fn);
}
