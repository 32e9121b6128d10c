import { InputError } from '../errors.ts';
import { isOriginStyle, ORIGIN_STYLES, type OriginStyle } from '../origin/origin-style.ts';

/** `--validators STYLE` for the commands that work without a config (diff, touch). */
export const VALIDATORS_USAGE = `[--validators ${ORIGIN_STYLES.join('|')}]`;

/** The origin style a `--validators` flag names; nginx's (the most hazards) when absent. */
export function validatorsFlag(value: string | undefined): OriginStyle {
  if (value === undefined) return 'nginx';
  if (isOriginStyle(value)) return value;
  throw new InputError('E_USAGE', `--validators must be one of ${ORIGIN_STYLES.join(', ')}`, {
    at: '--validators',
    hint: 'how your origin builds ETags: nginx (the default), apache, express, caddy, lighttpd, content, none',
  });
}
