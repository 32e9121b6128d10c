import { z } from 'zod';
import { urlProblem } from './url-problem.ts';

/** Globalping's public API (https://api.globalping.io, OpenAPI at /v1/spec.yaml). */
export const GLOBALPING_ENDPOINT = 'https://api.globalping.io';

/**
 * `verify.vantage`: proof from more than one place. Its own file so the verifier and the config
 * share one description of the keys.
 */
export const vantageSchema = z.strictObject({
  provider: z
    .literal('globalping')
    .default('globalping')
    .describe('The probe network: "globalping" (https://globalping.io), the only one for now.'),
  locations: z
    .array(z.string().min(1).max(100))
    .min(1)
    // Each location costs one probe test per URL: the free tier is 250 tests an hour.
    .max(10)
    .default(['Europe', 'North America', 'Asia'])
    .describe(
      'Where to measure from, in Globalping\'s "magic" form: a continent ("Europe"), region ("Western Europe"), country ("JP"), city ("Berlin+Germany"), ASN ("AS13335") or cloud region tag ("aws-us-east-1"). One probe each; every URL is fetched by the same probe.',
    ),
  sample: z
    .int()
    .min(0)
    .max(500)
    .default(20)
    .describe(
      'URLs measured besides every changed HTML URL: a sample of the rest, chosen deterministically from the release.',
    ),
  endpoint: z
    .string()
    .superRefine((value, ctx) => {
      const problem = urlProblem(value);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional()
    .describe(`The API's base URL (default ${GLOBALPING_ENDPOINT}); tests point it at a fake.`),
  maxWaitSeconds: z
    .number()
    .min(0)
    .max(3600)
    .default(120)
    .describe(
      "How long the run may wait, in all, on Globalping's rate limit (429, X-RateLimit-Reset) before the vantage check fails.",
    ),
});

export type VantageConfig = z.output<typeof vantageSchema>;
