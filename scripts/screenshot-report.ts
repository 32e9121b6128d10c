/**
 * Renders a verification report to HTML and photographs it with headless Chromium, so the page
 * is seen, not assumed.
 *
 *   node scripts/screenshot-report.ts [report.json] [out.png]
 *
 * `report.json` is what `edgepurge deploy --json` or `verify --json` wrote (a deploy result whose
 * `verify` is the full report, or the report itself); without it (or with `-`) a generated sample
 * is used.
 * The HTML is kept beside the PNG (`out.html`). Needs Debian's `chromium`
 * (`apt-get install -y chromium`) or `CHROMIUM=/path/to/chrome`. Not part of CI.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { renderHtml } from '../src/report/render-html.ts';
import type { DeployContext } from '../src/report/summarize-report.ts';
import type { VerifyReport } from '../src/verify/report-types.ts';
import { deployContext, sampleReport } from '../test/support/report-fixtures.ts';

const [input, output] = process.argv.slice(2);
const png = resolve(output ?? join(tmpdir(), 'edgepurge-report.png'));
const htmlPath = `${png.replace(/\.png$/i, '')}.html`;
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';

function load(path: string): { report: VerifyReport; deploy?: DeployContext } {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const isReport = (value: unknown): value is VerifyReport =>
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { urls?: unknown }).urls) &&
    typeof (value as { startedAt?: unknown }).startedAt === 'string';
  if (isReport(doc)) return { report: doc };
  if (isReport(doc.verify)) return { report: doc.verify, deploy: doc as unknown as DeployContext };
  throw new Error(
    `${path}: not a verification report (expected "urls" and "startedAt", at the top or under "verify")`,
  );
}

let source: { report: VerifyReport; deploy?: DeployContext };
try {
  source =
    input === undefined || input === '' || input === '-'
      ? {
          report: sampleReport(),
          deploy: deployContext({ baseline: { saved: false, path: '.edgepurge/baseline.json' } }),
        }
      : load(input);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}
if (!existsSync(chromium)) {
  console.error(
    `${chromium} not found: apt-get install -y chromium (or set CHROMIUM=/path/to/chrome)`,
  );
  process.exit(2);
}

writeFileSync(htmlPath, renderHtml(source.report, source.deploy));
const profile = mkdtempSync(join(tmpdir(), 'edgepurge-chromium-'));
try {
  // A fresh profile and no background traffic: the page must render from the file alone.
  await promisify(execFile)(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      '--window-size=1280,1600',
      '--hide-scrollbars',
      `--screenshot=${png}`,
      pathToFileURL(htmlPath).href,
    ],
    { timeout: 60_000 },
  );
} catch (error) {
  console.error(`chromium failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
} finally {
  rmSync(profile, { recursive: true, force: true });
}
if (!existsSync(png) || statSync(png).size === 0) {
  console.error(`chromium wrote no screenshot at ${png}`);
  process.exit(1);
}
console.log(`html: ${htmlPath}\npng:  ${png} (${statSync(png).size} bytes)`);
