import { type ParseArgsConfig, parseArgs } from 'node:util';
import { InputError } from '../errors.ts';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses one command's arguments strictly. An unknown flag, a missing value or a stray
 * positional is an InputError (exit 2) naming the flag, with the command's usage as the hint.
 */
export function parseCommandArgs<O extends OptionSpec>(
  command: string,
  args: readonly string[],
  options: O,
  usage: string,
  positionals: { min: number; max: number },
) {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
  >;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message.split('. To specify')[0] ?? String(error);
    const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
    throw new InputError('E_USAGE', `edgepurge ${command}: ${message}`, {
      at: flag,
      hint: `usage: ${usage}`,
    });
  }
  const count = parsed.positionals.length;
  if (count < positionals.min || count > positionals.max) {
    throw new InputError(
      'E_USAGE',
      count < positionals.min
        ? `edgepurge ${command}: missing argument`
        : `edgepurge ${command}: unexpected argument "${parsed.positionals[positionals.max]}"`,
      { hint: `usage: ${usage}` },
    );
  }
  return parsed;
}

/** Parses a positive number flag, or throws naming the flag. */
export function numberFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw new InputError('E_USAGE', `${flag} needs a positive number, got "${value}"`, {
      at: flag,
    });
  }
  return number;
}
