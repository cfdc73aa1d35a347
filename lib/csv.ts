/*
 * CSV writing (RFC 4180) for downloads opened in spreadsheets: CRLF line ends, fields quoted
 * when they hold a comma, quote or line break, and a UTF-8 byte order mark so Excel (Japanese
 * Excel in particular) reads the file as UTF-8 instead of Shift_JIS.
 */

/** Starts the file: tells Excel the bytes are UTF-8. */
export const CSV_BOM = '\uFEFF';
export const CSV_EOL = '\r\n';

/*
 * A cell a spreadsheet would read as a formula (OWASP "CSV injection"): = + - @, and tab or CR,
 * which some spreadsheets skip before looking for one. Full-width ＝ ＋ － ＠ too, which Japanese
 * Excel may take for their ASCII forms.
 */
const FORMULA_START = /^[=+\-@\t\r＝＋－＠]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** Whether a spreadsheet could read `text` as a formula: the rule `csvCell` applies (lib/import/cells builds on it). */
export function looksLikeFormula(text: string): boolean {
  return FORMULA_START.test(text);
}

/** Text for a cell: null/undefined empty, strings as they are, anything else through String(). */
function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : String(value);
}

/** One field, formula-neutralised (leading apostrophe) and quoted as RFC 4180 requires. */
export function csvCell(value: unknown): string {
  let s = text(value);
  if (looksLikeFormula(s)) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One record, with its CRLF. A file is CSV_BOM followed by its records. */
export function csvRow(values: readonly unknown[]): string {
  return values.map(csvCell).join(',') + CSV_EOL;
}
