import type { Manifest, RecordedValidators } from '../manifest/manifest.ts';
import type { VerifyReport } from './report-types.ts';

/**
 * The manifest the baseline saves after a passed verification, with the validators browsers
 * now hold (manifest version 2 `validators`): for each URL verified, what the edge served at
 * the last look; for every other URL, what the previous baseline recorded (an unchanged file
 * keeps its validators). A URL verified without validators, or removed, drops its old record;
 * so do all of them when the base URL changed. Either form of manifest (plain or packed): only
 * its `baseUrl` and `validators` are read. Pure.
 */
export function recordValidators<M extends Pick<Manifest, 'baseUrl' | 'validators'>>(
  manifest: M,
  previous: Pick<Manifest, 'baseUrl' | 'validators'> | undefined,
  verify: Pick<VerifyReport, 'urls'>,
): M {
  const out: Record<string, RecordedValidators> = Object.create(null);
  const carried =
    previous?.validators !== undefined && previous.baseUrl === manifest.baseUrl
      ? previous.validators
      : {};
  for (const url of Object.keys(carried)) out[url] = carried[url] as RecordedValidators;
  for (const report of verify.urls) {
    delete out[report.url];
    if (report.kind === 'serves' && report.fresh && report.validators !== undefined)
      out[report.url] = report.validators;
  }
  return { ...manifest, validators: out };
}
