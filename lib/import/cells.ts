/*
 * Cells the import's workbooks write (template filled with current data, results, failed rows).
 *
 * A text a spreadsheet could take for a formula gets a leading apostrophe. Which texts those are
 * is lib/csv's rule (`looksLikeFormula`: = + - @, tab or CR, and their full-width forms), the one
 * the CSV downloads apply. An xlsx string cell is never evaluated, but the file is meant to be
 * edited and may be saved as CSV and opened again.
 *
 * Here the rule is made reversible so a downloaded file can be uploaded back unchanged: a text
 * that already starts with apostrophes followed by a formula character gets one more, and
 * `restoreFormulaText` (for the reader) takes exactly one off such a text. Every other text,
 * apostrophes included (`O'Brien`, `'90s`), is left alone both ways.
 *
 * The literal `-` alone clears Services or Groups on upload; the writers never produce it for
 * those columns (an empty set is an empty cell), and anywhere else it comes out as `'-`.
 */
import { looksLikeFormula } from '@/lib/csv';

/**
 * `text` as a string of its own. A string V8 cut from a longer one (slice, trim, a parser's text
 * event) keeps the longer one alive: read cells would hold every XML chunk they came from, about
 * 1 KB per row. Through UTF-8 the copy is also one byte per character when it can be (a slice of
 * a chunk with Japanese in it is two bytes per character, ASCII emails included). The readers detach
 * what they cut (shared strings once, inline strings, CSV fields), so a repeated shared string
 * stays one string.
 */
export function detach(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8');
}

/** Whether `text`, past any leading apostrophes, looks like a formula. */
function formulaPastApostrophes(text: string): boolean {
  let i = 0;
  while (text.charCodeAt(i) === 0x27 /* ' */) i++;
  return looksLikeFormula(i === 0 ? text : text.slice(i));
}

/** The text to write in a cell: a leading `'` when a spreadsheet could read it as a formula. */
export function neutraliseFormula(text: string): string {
  return formulaPastApostrophes(text) ? `'${text}` : text;
}

/** The inverse of `neutraliseFormula`, for the reader: `'=1+1` → `=1+1`, `'-` → `-`, `O'Brien` unchanged. */
export function restoreFormulaText(text: string): string {
  return text.charCodeAt(0) === 0x27 && formulaPastApostrophes(text) ? text.slice(1) : text;
}
