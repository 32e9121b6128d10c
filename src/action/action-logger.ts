import { info, warning } from '@actions/core';
import type { Logger } from '../log.ts';
import { redact } from '../redact.ts';
import { printable } from '../report/printable.ts';

/**
 * The pipeline's logger in a workflow: info as plain log lines, warnings as `::warning`
 * annotations, both redacted (the runner masks too, but only what `::add-mask::` named). A
 * newline in a file name or hook output is shown escaped: on a line of its own, text starting
 * with `::` would be read by the runner as a workflow command.
 */
export const actionLogger: Logger = {
  info: (message) => info(printable(redact(message))),
  warn: (message) => warning(printable(redact(message))),
};
