import type { UrlReport, VerifyReport } from '../verify/report-types.ts';
import { cacheStatus, DIAGNOSIS_LABEL, formatDuration, staleFirst } from './summarize-report.ts';

export interface TableOptions {
  /** Terminal columns; the URL column takes what the others leave. Default 100. */
  readonly width?: number;
  /** Rows shown before the rest is summed up in one line (stale rows always come first). */
  readonly maxRows?: number;
  /** ANSI colour: only on a TTY and never with NO_COLOR (see `useColor`). */
  readonly color?: boolean;
}

const RESULT_W = 6;
const DIAGNOSIS_W = 12;
const TIME_W = 11;
const CACHE_W = 14;
const MIN_URL_W = 24;

const RED = '\x1b[31m';
const GREEN = '\x1b[32m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/**
 * The per-URL table printed after verification: result, URL, diagnosis, time to fresh and cache
 * status, stale URLs first, each followed by its reason. Long URLs are shortened in the middle
 * (scheme and host, then the end of the path, stay readable); control characters from file names
 * are shown as `?` so a crafted name cannot drive the terminal. Pure.
 */
export function renderUrlTable(report: VerifyReport, options: TableOptions = {}): string {
  const width = Math.max(options.width ?? 100, MIN_URL_W + RESULT_W + DIAGNOSIS_W + 24);
  const maxRows = options.maxRows ?? 50;
  const color = options.color ?? false;
  const paint = (code: string, s: string): string => (color ? `${code}${s}${RESET}` : s);
  const ordered = staleFirst(report.urls);
  // Every stale URL is listed, whatever maxRows says: those are the ones to act on.
  const shown = ordered.slice(0, Math.max(maxRows, ordered.filter((url) => !url.fresh).length));
  const room = Math.max(MIN_URL_W, width - RESULT_W - DIAGNOSIS_W - TIME_W - CACHE_W - 8);
  const longest = Math.max(3, ...shown.map((url) => [...safe(url.url)].length));
  const urlW = Math.min(room, longest);

  const lines = [
    paint(
      DIM,
      [
        pad('RESULT', RESULT_W),
        pad('URL', urlW),
        pad('DIAGNOSIS', DIAGNOSIS_W),
        pad('FRESH AFTER', TIME_W, true),
        pad('CACHE', CACHE_W),
      ]
        .join('  ')
        .trimEnd(),
    ),
  ];
  for (const url of shown) {
    const result = url.fresh
      ? paint(GREEN, pad('fresh', RESULT_W))
      : paint(RED, pad('STALE', RESULT_W));
    const cells = [
      result,
      pad(shorten(safe(url.url), urlW), urlW),
      pad(shorten(label(url), DIAGNOSIS_W), DIAGNOSIS_W),
      pad(url.timeToFreshMs === undefined ? '—' : formatDuration(url.timeToFreshMs), TIME_W, true),
      shorten(safe(cacheStatus(url.cache)), CACHE_W),
    ];
    lines.push(cells.join('  ').trimEnd());
    if (!url.fresh && url.reason !== undefined)
      lines.push(paint(DIM, `        ↳ ${shorten(safe(url.reason), width - 10)}`));
  }
  const rest = ordered.length - shown.length;
  if (rest > 0)
    lines.push(
      paint(DIM, `  … and ${rest} more fresh URLs (--json or --report FILE.md lists them all)`),
    );
  return `${lines.join('\n')}\n`;
}

function label(url: UrlReport): string {
  return url.diagnosis === 'unknown' ? 'unknown' : DIAGNOSIS_LABEL[url.diagnosis];
}

/** Control characters (C0, DEL, C1) replaced, so output cannot carry terminal escapes. */
export function safe(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** Cut to `width` characters, keeping both ends: `https://host/a/…/file.js`. */
export function shorten(value: string, width: number): string {
  const chars = [...value];
  if (chars.length <= width) return value;
  if (width <= 1) return '…'.slice(0, width);
  const head = Math.ceil((width - 1) / 2);
  const tail = width - 1 - head;
  return `${chars.slice(0, head).join('')}…${tail > 0 ? chars.slice(-tail).join('') : ''}`;
}

function pad(value: string, width: number, right = false): string {
  const length = [...value].length;
  if (length >= width) return value;
  return right ? ' '.repeat(width - length) + value : value + ' '.repeat(width - length);
}
