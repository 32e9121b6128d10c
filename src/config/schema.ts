import { z } from 'zod';
import { ORIGIN_STYLES } from '../origin/origin-style.ts';
import { PROVIDERS, providerConfigSchemas } from '../providers/registry.ts';
import { urlProblem } from './url-problem.ts';
import { vantageSchema } from './vantage-schema.ts';

/**
 * The one description of edgepurge's configuration: every key's type, default and meaning.
 * `scripts/gen-schema.ts` turns it into `edgepurge.schema.json` for editors.
 */

const httpUrl = z.string().superRefine((value, ctx) => {
  const problem = urlProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** curl's `--connect-to HOST1:PORT1:HOST2:PORT2`; empty HOST1/PORT1 match any. */
export const CONNECT_TO = /^(\[[^\]]*\]|[^:[\]]*):(\d*):(\[[^\]]*\]|[^:[\]]*):(\d*)$/;

/**
 * One of the configured caches: the union of every provider's own schema, in the registry's
 * order (src/providers/registry.ts; each schema lives beside its provider).
 */
export const providerSchema = z.discriminatedUnion('type', providerConfigSchemas(), {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? `unsupported provider type; use ${PROVIDERS.map((p) => `"${p.type}"`)
          .join(', ')
          .replace(/, ([^,]*)$/, ' or $1')}`
      : undefined,
});

const policyRule = z.strictObject({
  match: z.string().min(1).describe('Glob on the file path (`assets/**`, `**/*.html`).'),
  cacheControl: z.string().min(1).describe('The Cache-Control the edge must send for it.'),
});

export const configSchema = z
  .strictObject({
    $schema: z.string().optional(),
    dir: z.string().min(1).describe('The publish directory, relative to the config file.'),
    baseUrl: httpUrl.describe('Public origin of the site, e.g. https://www.example.com'),
    baseline: z
      .string()
      .min(1)
      .default('.edgepurge/baseline.json')
      .describe(
        'Manifest of the last verified release: a file, or `github:` / `github:BRANCH` for a state branch in the repository (GITHUB_TOKEN, GITHUB_REPOSITORY). Missing: every file counts as added.',
      ),
    saveBaseline: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Where the new manifest goes after verification passed (default: `baseline`): a file or `github:[BRANCH]`.',
      ),
    environment: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
        'letters, digits, ".", "_" and "-" only (it names a folder on the state branch and a status context)',
      )
      .default('production')
      .describe(
        'Names the deploy target: the `github:` baseline folder, the commit status context `edgepurge/<environment>` and the PR comment.',
      ),
    fix: z
      .enum(['touch', 'hash', 'none'])
      .default('touch')
      .describe(
        'touch: give changed files a new mtime so mtime-size validators change. hash: content-hash names for referenced files, every reference rewritten, before the purge is planned (only pages and kept names are purged); it touches the other hazards too.',
      ),
    origin: z
      .strictObject({
        validators: z
          .enum(['auto', ...ORIGIN_STYLES])
          .default('auto')
          .describe(
            'How the origin builds ETags, which decides hazards and the touch: auto (identified from what the origin serves), nginx ("hex(mtime s)-hex(size)"), apache (FileETag MTime Size), apache-inode (FileETag INode MTime Size), express (send: W/"hex(size)-hex(mtime ms)"), caddy (2.11+), caddy-2.8 (2.8–2.10), caddy-2.0 (2.0–2.7, Debian\'s 2.6), lighttpd, content (follows the bytes: S3, Cloudflare Pages, Netlify), none (no ETag; Last-Modified only).',
          ),
      })
      .prefault({}),
    urls: z
      .strictObject({
        cleanUrls: z
          .boolean()
          .default(false)
          .describe('Also purge /page for page.html (servers with try_files $uri.html).'),
        basePath: z
          .string()
          .regex(/^\/[^?#]*$/, 'must start with / and hold no query or fragment')
          .refine((value) => !/(^|\/)\.\.?(\/|$)/.test(value), {
            message: 'must not hold "." or ".." segments',
          })
          .default('/')
          .describe('Path the directory is published under.'),
      })
      .prefault({}),
    providers: z
      .array(providerSchema)
      .default([])
      .describe('Caches to purge, in order: the inner cache (shield) first.'),
    verify: z
      .strictObject({
        connectTo: z
          .array(
            z
              .string()
              .regex(
                CONNECT_TO,
                'use curl form HOST1:PORT1:HOST2:PORT2, e.g. www.example.com:443:127.0.0.1:8443',
              ),
          )
          .default([])
          .describe('Send requests for the public URL to another address, as curl --connect-to.'),
        origin: httpUrl
          .optional()
          .describe('The origin, reached directly with the public Host header (later checks).'),
        timeoutSeconds: z
          .number()
          .positive()
          .max(3600)
          .default(60)
          .describe('How long to poll a stale URL before giving up.'),
        concurrency: z.int().min(1).max(256).default(16).describe('Requests in flight.'),
        vantage: vantageSchema
          .optional()
          .describe(
            'Proof from more than one place: after the local checks pass, the changed HTML URLs and a sample of the rest are fetched from probes in these locations (Globalping; token optional from GLOBALPING_TOKEN) and compared with the release. A stale location fails the run.',
          ),
      })
      .prefault({}),
    purge: z
      .strictObject({
        mode: z
          .enum(['auto', 'hard', 'soft'])
          .default('auto')
          .describe(
            'auto: soft-purge (mark stale, revalidate) a URL whose validator the release changes, hard-purge one whose validator did not change (a hazard: revalidation would answer 304 and keep the old bytes). hard: always evict. soft: soft wherever the provider can, but an unchanged validator is still purged hard (with a warning). Providers without soft purges (Cloudflare) always purge hard.',
          ),
        maxCollateral: z
          .int()
          .min(0)
          .default(0)
          .describe(
            'Unchanged files a prefix or tag purge may evict too, when it saves requests (0: only exact collapses).',
          ),
        everythingAbove: z
          .union([
            z.int().min(1),
            z.string().regex(/^(100|[1-9]?\d)(\.\d+)?%$/, 'a count, or a percentage like "60%"'),
          ])
          .optional()
          .describe(
            'Purge everything when more URLs than this changed (a count, or a percentage of all URLs). Never for an empty change.',
          ),
        tags: z
          .array(
            z.strictObject({
              match: z.string().min(1).describe('Glob on the file path (`assets/**/*.css`).'),
              tag: z
                .string()
                .regex(/^[^\s,]+$/, 'one tag: no spaces or commas')
                .describe(
                  'The Cache-Tag / Surrogate-Key / xkey your origin sends for these files.',
                ),
            }),
          )
          .default([])
          .describe('Tags the origin sends, so a group of changed files can go in one tag purge.'),
        maxRequests: z
          .int()
          .min(1)
          .optional()
          .describe('Refuse a plan that needs more purge requests than this on any provider.'),
        // Default: DEFAULT_MAX_WAIT_SECONDS in src/purge/retry-policy.ts.
        maxWaitSeconds: z
          .number()
          .positive()
          .max(86_400)
          .default(300)
          .describe(
            "How long one purge request may wait, in all, on a provider's rate limit (429, Retry-After) before it is given up. Rate limits never spend the error retries.",
          ),
      })
      .prefault({}),
    policy: z.array(policyRule).default([]).describe('Cache-Control the edge must send.'),
    hash: z
      .strictObject({
        include: z
          .array(z.string().min(1))
          .default([])
          .describe(
            'Globs on the file path: only these referenced files get content-hash names (empty: every referenced non-HTML file).',
          ),
        exclude: z
          .array(z.string().min(1))
          .default([])
          .describe(
            'Globs of referenced files that keep their names, on top of pages, robots.txt, sitemaps, favicon.ico, web manifests and service workers.',
          ),
        length: z.int().min(6).max(64).default(8).describe('Hex digits of the hash in a name.'),
        keep: z
          .int()
          .min(0)
          .default(2)
          .describe('Releases to keep old hashed files for, so cached pages can still load them.'),
      })
      .prefault({})
      .describe('Content-hash file names: `edgepurge hash`, and `fix: "hash"` in deploy and plan.'),
    hooks: z
      .strictObject({
        upload: z
          .string()
          .min(1)
          .optional()
          .describe('Command run (with zx, in the config folder) after fix and before purging.'),
        timeoutSeconds: z
          .number()
          .positive()
          .max(86_400)
          .default(1800)
          .describe(
            'How long the upload hook may run; past it its whole process group is stopped and the deploy fails.',
          ),
      })
      .prefault({}),
  })
  .describe('edgepurge configuration');

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type ProviderConfig = z.output<typeof providerSchema>;
export type { CloudflareConfig } from '../providers/cloudflare.ts';
export type { CloudfrontConfig } from '../providers/cloudfront.ts';
export type { FastlyConfig } from '../providers/fastly.ts';
export type { VarnishConfig } from '../providers/varnish.ts';
