/**
 * Text from outside (file names, hook output, server answers) made safe for a terminal:
 * control characters are shown escaped (`\x1b`, `\n`), so a file named with `ESC[2J` cannot
 * clear the screen and a newline in a name cannot forge a log line. With `keepNewlines`, line
 * breaks stay (for text whose lines were built here). Tabs stay.
 */
export function printable(text: string, options: { readonly keepNewlines?: boolean } = {}): string {
  const pattern = options.keepNewlines ? CONTROL_BUT_NEWLINE : CONTROL;
  return text.replace(pattern, escapeChar);
}

// C0 controls but tab, DEL, and the C1 controls (U+0080–U+009F: 8-bit CSI and friends).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL_BUT_NEWLINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r' };

function escapeChar(char: string): string {
  return NAMED[char] ?? `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
}
