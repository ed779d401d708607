/**
 * CSV that is safe to open in a spreadsheet (RFC 4180, UTF-8 with a byte-order mark so Excel
 * reads the encoding). Pure.
 *
 * Formula injection: a text cell whose first non-blank character is =, +, -, @, a tab or a
 * carriage return is prefixed with a single quote, so a spreadsheet shows it as text instead of
 * evaluating it. Numbers are different: the service writes them itself from JavaScript numbers,
 * so a negative number is always a plain numeric literal such as -3 or -0.25, which no
 * spreadsheet can run. They stay numeric (unquoted, no prefix) and a board can still sort and
 * chart them. Only values typed as numbers get this treatment; a string that looks like a
 * number (e.g. "-3" typed into a free-text field) is neutralised like any other text.
 */

export type CsvValue = string | number | boolean | null | undefined;

export const CSV_BOM = '\uFEFF';
const DANGEROUS_START = /^\s*[=+\-@\t\r]/;
const NUMERIC_LITERAL = /^-?(?:\d+(?:\.\d+)?|\.\d+)(?:e[+-]?\d+)?$/i;

export function neutralise(text: string): string {
  return DANGEROUS_START.test(text) ? `'${text}` : text;
}

function quote(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return '';
    const literal = String(value);
    // Defensive: String(number) is always a numeric literal, but never emit anything else unneutralised.
    return NUMERIC_LITERAL.test(literal) ? literal : quote(neutralise(literal));
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return quote(neutralise(value));
}

/**
 * The same document as toCsv, a part at a time: BOM and header, then each group of rows as it is
 * made, so a long table is written out without first being held whole.
 */
export function* csvChunks(
  header: readonly string[],
  groups: Iterable<readonly (readonly CsvValue[])[]>,
): Generator<string> {
  yield `${CSV_BOM}${header.map(csvCell).join(',')}\r\n`;
  for (const rows of groups) {
    if (rows.length > 0) yield `${rows.map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
  }
}

/** The whole document: BOM, header, rows, each line ended by CRLF. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  const lines = [header, ...rows].map((row) => row.map(csvCell).join(','));
  return `${CSV_BOM}${lines.join('\r\n')}\r\n`;
}
