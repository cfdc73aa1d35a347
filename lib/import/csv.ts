/*
 * CSV uploads (SPEC 3.5): decoding and an RFC 4180 record reader.
 *
 * Decoding: a UTF-8 byte order mark means UTF-8; otherwise strict UTF-8 if the bytes are valid
 * UTF-8 (Shift_JIS text with Japanese in it practically never is); otherwise Shift_JIS/CP932, as
 * Japanese Excel saves "CSV (comma delimited)" (Node's TextDecoder('shift_jis') is the WHATWG
 * Shift_JIS decoder, i.e. Windows-31J/CP932, with NEC and IBM extensions); otherwise `wrongEncoding`.
 * UTF-16 (Excel's "Unicode text") is refused with `wrongEncoding` too.
 *
 * Records: written here rather than taken from a library because the file is already one string
 * in memory (at most 20 MB) and the reader needs each record's number as a spreadsheet shows it
 * (the record's position, whatever line breaks its quoted fields hold); a character loop over a
 * string is all RFC 4180 needs. Quoted fields with doubled quotes and line breaks, CRLF, LF and
 * lone CR line ends; a quote inside an unquoted field is kept as text (as Excel does); a quoted
 * field never closed is `csvUnclosedQuote`. The delimiter is a comma, or a tab or semicolon when
 * the file's header line is clearly delimited by that instead (Excel's text exports in some locales).
 */
import { ImportFileError } from './errors';
import { detach } from './cells';

export type CsvEncoding = 'utf-8' | 'shift_jis';

/** The text of a CSV upload, or ImportFileError('wrongEncoding'). */
export function decodeCsv(bytes: Buffer): { text: string; encoding: CsvEncoding } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8' };
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new ImportFileError('wrongEncoding');
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    // not UTF-8
  }
  try {
    return { text: new TextDecoder('shift_jis', { fatal: true }).decode(bytes), encoding: 'shift_jis' };
  } catch {
    throw new ImportFileError('wrongEncoding');
  }
}

const DELIMITERS = [',', '\t', ';'] as const;
export type CsvDelimiter = (typeof DELIMITERS)[number];

/**
 * The delimiter: a comma unless, on the first line (of the first ten) that has any of the three
 * outside quotes, a tab or a semicolon outnumbers the commas.
 */
export function sniffDelimiter(text: string): CsvDelimiter {
  let start = 0;
  for (let line = 0; line < 10 && start < text.length; line++) {
    const counts = { ',': 0, '\t': 0, ';': 0 };
    let quoted = false;
    let i = start;
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === '"') quoted = !quoted;
      else if (!quoted && (c === '\n' || c === '\r')) break;
      else if (!quoted && (c === ',' || c === '\t' || c === ';')) counts[c]++;
    }
    const best = DELIMITERS.reduce((a, b) => (counts[b] > counts[a] ? b : a));
    if (counts[best] > 0) return best;
    start = text[i] === '\r' && text[i + 1] === '\n' ? i + 2 : i + 1;
  }
  return ',';
}

export interface CsvRecord {
  /** 1-based position of the record in the file (what a spreadsheet shows as its row number). */
  number: number;
  fields: string[];
}

/** The records of a CSV text, one at a time. A trailing line end does not make an empty record. */
export function* csvRecords(text: string, delimiter: CsvDelimiter = ','): Generator<CsvRecord> {
  const n = text.length;
  const d = delimiter.charCodeAt(0);
  let i = 0;
  let number = 0;
  while (i < n) {
    number++;
    const fields: string[] = [];
    const recordStart = number;
    for (;;) {
      // one field
      if (text.charCodeAt(i) === 34 /* " */) {
        let value = '';
        let from = ++i;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q < 0) throw new ImportFileError('csvUnclosedQuote', { row: recordStart });
          if (text.charCodeAt(q + 1) === 34) {
            value += text.slice(from, q + 1);
            from = q + 2;
            continue;
          }
          value += text.slice(from, q);
          i = q + 1;
          break;
        }
        // Text after the closing quote up to the delimiter (`"a"b,`): kept, as spreadsheets do.
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === d || c === 10 || c === 13) break;
          j++;
        }
        fields.push(detach(j > i ? value + text.slice(i, j) : value));
        i = j;
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === d || c === 10 || c === 13) break;
          j++;
        }
        fields.push(detach(text.slice(i, j)));
        i = j;
      }
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === d) {
        i++;
        if (i >= n) {
          fields.push('');
          break;
        }
        continue;
      }
      // line end: CRLF, LF or CR
      i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
      break;
    }
    yield { number: recordStart, fields };
  }
}
