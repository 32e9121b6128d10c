import type { CliIO } from '../io.ts';

export async function demoCommand(_args: readonly string[], io: CliIO): Promise<number> {
  io.stderr.write('demo: not built yet\n');
  return 1;
}
