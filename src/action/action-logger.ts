import { info, warning } from '@actions/core';
import type { Logger } from '../log.ts';
import type { Redactor } from '../redact.ts';
import { printable } from '../report/printable.ts';

/**
 * The pipeline's logger in a workflow: info as plain log lines, warnings as `::warning`
 * annotations, both redacted by the run's redactor (the runner masks too, but only what
 * `::add-mask::` named). A
 * newline in a file name or hook output is shown escaped: on a line of its own, text starting
 * with `::` would be read by the runner as a workflow command.
 */
export function actionLogger(redactor: Redactor): Logger {
  return {
    info: (message) => info(printable(redactor.redact(message))),
    warn: (message) => warning(printable(redactor.redact(message))),
  };
}
