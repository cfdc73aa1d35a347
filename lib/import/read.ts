/*
 * Reading an uploaded import file (SPEC 3.5): bytes in, a stream of header and row events out.
 * Every file-level problem is an ImportFileError (lib/import/errors.ts) — thrown before the first
 * event when it can be known from the bytes, the zip directory or a header row; `tooManyRows`
 * and a second sheet for the same entity can only be known later, so a consumer treats any
 * ImportFileError, whenever it comes, as the refusal of the whole file.
 *
 * What is read:
 * - the type comes from the bytes, not the name: a zip is an .xlsx (lib/import/zip.ts judges the
 *   container before anything is inflated: corrupt, encrypted, zip bomb; lib/import/xlsx.ts reads
 *   the parts); an OLE compound file is an encrypted workbook or an .xls; anything else is a CSV
 *   if it is text (lib/import/csv.ts), and not a spreadsheet otherwise.
 * - sheets: those named as the template's (Organizations/Users, 組織/ユーザー); when none is, every
 *   visible sheet whose header row has one entity's required columns. A CSV holds one entity,
 *   chosen by its header.
 * - the header row is the first non-empty row, within a sheet's first ten non-empty rows, that
 *   names at least one known column; rows above it are ignored (titles, notes). Headers are
 *   matched in English or Japanese, any order, any width or case (columns.ts). Extra columns
 *   map to null (ignored, and listed as such in the preview); a required column missing or a
 *   column given twice refuses the file.
 * - data rows: blank rows skipped; `cells` = the row as uploaded, as wide as the header row (so
 *   results line up under it); `values` = the mapped columns, normalised (normalizeCell).
 */
import {
  type ColumnKey,
  columnForHeader,
  type Entity,
  ENTITIES,
  entityForSheet,
  MAX_DATA_ROWS,
  MAX_FILE_BYTES,
  normalizeCell,
  type Operation,
  REQUIRED_COLUMNS,
} from './columns';
import { csvRecords, decodeCsv, sniffDelimiter } from './csv';
import { restoreFormulaText } from './cells';
import { columnParams, expectedHeaderParams, type HeaderSource, ImportFileError, sourceParams } from './errors';
import { type DateKind, MAX_COLUMNS, type RawRow, readDateStyles, readSharedStrings, readWorkbookInfo, type SheetContext, sheetRows } from './xlsx';
import { looksLikeZip, ZipArchive, type ZipLimits } from './zip';

export interface SheetEvent {
  type: 'sheet';
  entity: Entity;
  /** The header row as uploaded (as wide as its last non-empty cell). */
  labels: string[];
  /** The column each header cell maps to; null = an extra column, ignored. */
  columns: (ColumnKey | null)[];
  /** The sheet's name as uploaded; null for a CSV file. */
  sheet: string | null;
}

export interface RowEvent {
  type: 'row';
  entity: Entity;
  /** The row number the uploader sees (sheet row, or CSV record); the header is its own row. */
  rowNumber: number;
  /** The row's cells as uploaded, one per header cell. */
  cells: string[];
  /** Mapped columns, normalised; a mapped column whose cell is empty is ''. */
  values: Partial<Record<ColumnKey, string>>;
}

export type ReadEvent = SheetEvent | RowEvent;

export interface ReadOptions {
  /** Data rows allowed in the whole file (MAX_DATA_ROWS). */
  maxRows?: number;
  /** Bytes allowed (MAX_FILE_BYTES). */
  maxFileBytes?: number;
  zipLimits?: ZipLimits;
}

/** How many non-empty rows at the top of a sheet may come before its header row. */
export const HEADER_SEARCH_ROWS = 10;

/**
 * The widest header row accepted (the template has 9 columns; exports from other systems a few
 * dozen). Every row's `cells` is as wide as its header, so a stray cell far to the right of the
 * header (XFD1) would otherwise make every row 16,384 cells.
 */
export const MAX_HEADER_COLUMNS = 500;

const SPREADSHEET_EXTENSIONS = new Set(['xlsx', 'xlsm', 'xltx', 'xltm', 'xlsb', 'xls', 'xlt', 'ods', 'numbers']);
const OLE_SIGNATURE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot < 0 ? '' : fileName.slice(dot + 1).toLowerCase();
}

/**
 * An OLE compound file: Excel's password-protected .xlsx (an `EncryptedPackage` stream) or an
 * Excel 97–2003 workbook (a `Workbook`/`Book` stream). Directory entry names are UTF-16LE.
 */
function oleRefusal(input: Buffer, ext: string): ImportFileError {
  const has = (name: string) => input.indexOf(Buffer.from(name, 'utf16le')) >= 0;
  if (has('EncryptedPackage') || has('EncryptionInfo')) return new ImportFileError('encrypted');
  if (has('Workbook') || has('Book')) return new ImportFileError('legacyXls');
  if (ext === 'xls' || ext === 'xlt') return new ImportFileError('legacyXls');
  if (ext.startsWith('xl')) return new ImportFileError('encrypted');
  return new ImportFileError('notSpreadsheet');
}

/** Text, not binary: no NUL and hardly any other control bytes in the first 64 KiB. */
function looksLikeText(input: Buffer): boolean {
  const head = input.subarray(0, 64 * 1024);
  let control = 0;
  for (const b of head) {
    if (b === 0) return false;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1a) control++;
  }
  return control <= head.length / 1000;
}

/** The rows of an import file; see the top of this file. Throws ImportFileError. */
export async function* readImportFile(input: Buffer, fileName: string, operation: Operation, options: ReadOptions = {}): AsyncGenerator<ReadEvent> {
  const maxBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
  if (input.length === 0) throw new ImportFileError('empty');
  if (input.length > maxBytes) {
    // Rounded up: a file just over the limit must not read as "20 MB; up to 20 MB".
    throw new ImportFileError('tooLarge', { sizeMb: Math.ceil((input.length / 1024 / 1024) * 10) / 10, limitMb: Math.round(maxBytes / 1024 / 1024) });
  }
  const counter = { rows: 0, max: options.maxRows ?? MAX_DATA_ROWS };
  const ext = extensionOf(fileName);
  if (looksLikeZip(input)) {
    yield* readWorkbook(input, operation, counter, options.zipLimits);
    return;
  }
  if (input.subarray(0, 8).equals(OLE_SIGNATURE)) throw oleRefusal(input, ext);
  if (SPREADSHEET_EXTENSIONS.has(ext)) throw new ImportFileError(ext === 'xls' ? 'legacyXls' : 'notSpreadsheet');
  const utf16 = (input[0] === 0xff && input[1] === 0xfe) || (input[0] === 0xfe && input[1] === 0xff);
  if (!utf16 && !looksLikeText(input)) throw new ImportFileError('notSpreadsheet');
  yield* readCsv(input, operation, counter);
}

// ---------------------------------------------------------------------------------------------
// Tables (a sheet or a CSV file)

interface Counter {
  rows: number;
  max: number;
}

interface Assessment {
  entity: Entity;
  columns: (ColumnKey | null)[];
  mapped: number;
  missing: ColumnKey[];
  duplicates: ColumnKey[];
}

function assess(entity: Entity, labels: readonly string[], operation: Operation): Assessment {
  const columns = labels.map((label) => (label.trim() === '' ? null : columnForHeader(entity, label)));
  const seen = new Set<ColumnKey>();
  const duplicates = new Set<ColumnKey>();
  for (const key of columns) {
    if (!key) continue;
    if (seen.has(key)) duplicates.add(key);
    seen.add(key);
  }
  const missing = REQUIRED_COLUMNS[operation][entity].filter((key) => !seen.has(key));
  return { entity, columns, mapped: seen.size, missing, duplicates: [...duplicates] };
}

/** An entity's key columns (those required by either operation): a header naming none of them is not that entity's. */
const KEY_COLUMNS: Record<Entity, Set<ColumnKey>> = {
  organization: new Set([...REQUIRED_COLUMNS.upsert.organization, ...REQUIRED_COLUMNS.delete.organization]),
  user: new Set([...REQUIRED_COLUMNS.upsert.user, ...REQUIRED_COLUMNS.delete.user]),
};

/**
 * The header's entity when the sheet or file does not say: the one whose required columns are
 * there (the one naming more columns if both are); else the one naming more columns, if it names
 * at least one key column (then its missing columns are what to report); else null.
 */
function chooseEntity(labels: readonly string[], operation: Operation): Assessment | 'ambiguous' | null {
  const candidates = ENTITIES.map((e) => assess(e, labels, operation)).filter((a) => a.columns.some((key) => key && KEY_COLUMNS[a.entity].has(key)));
  const complete = candidates.filter((a) => a.missing.length === 0);
  const pool = complete.length > 0 ? complete : candidates;
  if (pool.length === 0) return null;
  const best = Math.max(...pool.map((a) => a.mapped));
  const top = pool.filter((a) => a.mapped === best);
  return top.length === 1 ? top[0]! : 'ambiguous';
}

/** Cells up to the last non-empty one (the header row's width). */
function trimmedWidth(cells: readonly (string | undefined)[]): number {
  let width = Math.min(cells.length, MAX_COLUMNS);
  while (width > 0 && (cells[width - 1] ?? '').trim() === '') width--;
  return width;
}

function dense(cells: readonly (string | undefined)[], width: number): string[] {
  const out = new Array<string>(width);
  for (let i = 0; i < width; i++) out[i] = cells[i] ?? '';
  return out;
}

/** Where each mapped column sits in a row: [cell index, column], in header order. */
export type MappedColumns = readonly (readonly [number, ColumnKey])[];

/** A sheet's mapped columns, from its SheetEvent's `columns`. */
export function mappedColumns(columns: readonly (ColumnKey | null)[]): MappedColumns {
  const out: [number, ColumnKey][] = [];
  columns.forEach((key, i) => key && out.push([i, key]));
  return out;
}

/** Full-width characters toHalfWidth (columns.ts) rewrites. */
const FULL_WIDTH = /[\uFF01-\uFF5E\u3000]/;

/** A mapped cell as RowEvent.values holds it: formula apostrophe taken off, normalised. */
export function cellValue(cell: string): string {
  // Most cells are already what normalizeCell makes of them: no leading ', nothing full-width, no
  // space at either end (trim() returns the string itself then). The plan job derives values from
  // the cells several times a row, so this skips the replacements for them.
  if (cell.charCodeAt(0) !== 0x27 && !FULL_WIDTH.test(cell) && cell.trim() === cell) return cell;
  // Exported cells had formulas neutralised with a leading ' (lib/import/cells): take it off again.
  return normalizeCell(restoreFormulaText(cell));
}

/** A row's RowEvent.values from its cells. */
export function rowValues(cells: readonly string[], mapped: MappedColumns): Partial<Record<ColumnKey, string>> {
  const values: Partial<Record<ColumnKey, string>> = {};
  for (const [i, key] of mapped) values[key] = cellValue(cells[i] ?? '');
  return values;
}

type TableMode = { kind: 'fixed'; entity: Entity } | { kind: 'detect' } | { kind: 'csv' };

/** What became of a table that yielded nothing: blank, no usable header, or a header short of columns. */
type TableOutcome = { read: true } | { read: false; blank: boolean; refusal?: ImportFileError };

async function* readTable(
  rows: AsyncIterable<RawRow> | Iterable<RawRow>,
  source: HeaderSource,
  mode: TableMode,
  operation: Operation,
  counter: Counter,
  onHeader?: (entity: Entity) => void,
): AsyncGenerator<ReadEvent, TableOutcome> {
  const it: AsyncIterator<RawRow> | Iterator<RawRow> =
    Symbol.asyncIterator in rows ? (rows as AsyncIterable<RawRow>)[Symbol.asyncIterator]() : (rows as Iterable<RawRow>)[Symbol.iterator]();
  try {
    // 1. The header row.
    let header: { labels: string[]; assessment: Assessment } | null = null;
    let nonEmpty = 0;
    while (nonEmpty < HEADER_SEARCH_ROWS) {
      const next = await it.next();
      if (next.done) break;
      const width = trimmedWidth(next.value.cells);
      if (width === 0) continue;
      nonEmpty++;
      const labels = dense(next.value.cells, width);
      if (mode.kind === 'fixed') {
        const a = assess(mode.entity, labels, operation);
        if (a.mapped > 0) header = { labels, assessment: a };
      } else {
        const a = chooseEntity(labels, operation);
        if (a === 'ambiguous') {
          if (mode.kind === 'csv') throw new ImportFileError('csvAmbiguous');
          return { read: false, blank: false };
        }
        if (a) header = { labels, assessment: a };
      }
      if (header) break;
    }
    if (!header) {
      if (nonEmpty === 0) {
        if (mode.kind === 'csv') throw new ImportFileError('empty');
        return { read: false, blank: true };
      }
      if (mode.kind === 'fixed') {
        throw new ImportFileError('noHeader', expectedHeaderParams(source, mode.entity, REQUIRED_COLUMNS[operation][mode.entity]));
      }
      if (mode.kind === 'csv') throw new ImportFileError('csvAmbiguous');
      return { read: false, blank: false };
    }

    // 2. Its columns.
    const { labels, assessment } = header;
    const { entity, columns } = assessment;
    if (labels.length > MAX_HEADER_COLUMNS) {
      throw new ImportFileError('tooManyColumns', { ...sourceParams(source), count: labels.length, limit: MAX_HEADER_COLUMNS });
    }
    if (assessment.duplicates.length > 0) {
      throw new ImportFileError('duplicateColumns', columnParams(source, entity, assessment.duplicates));
    }
    if (assessment.missing.length > 0) {
      const refusal = new ImportFileError('missingColumns', columnParams(source, entity, assessment.missing));
      if (mode.kind === 'detect') return { read: false, blank: false, refusal };
      throw refusal;
    }
    onHeader?.(entity);
    yield { type: 'sheet', entity, labels, columns, sheet: source.kind === 'sheet' ? source.sheet : null };

    // 3. Its rows.
    const width = labels.length;
    const mappedAt = mappedColumns(columns);
    for (;;) {
      const next = await it.next();
      if (next.done) break;
      const raw = next.value.cells;
      let blank = true;
      const limit = Math.min(width, raw.length);
      for (let i = 0; i < limit; i++) {
        const cell = raw[i];
        if (cell !== undefined && cell !== '' && normalizeCell(cell) !== '') {
          blank = false;
          break;
        }
      }
      if (blank) continue;
      if (++counter.rows > counter.max) throw new ImportFileError('tooManyRows', { limit: counter.max });
      const cells = dense(raw, width);
      yield { type: 'row', entity, rowNumber: next.value.number, cells, values: rowValues(cells, mappedAt) };
    }
    return { read: true };
  } finally {
    await it.return?.();
  }
}

// ---------------------------------------------------------------------------------------------
// CSV

async function* readCsv(input: Buffer, operation: Operation, counter: Counter): AsyncGenerator<ReadEvent> {
  const { text } = decodeCsv(input);
  if (text.trim() === '') throw new ImportFileError('empty');
  const delimiter = sniffDelimiter(text);
  function* rows(): Generator<RawRow> {
    for (const record of csvRecords(text, delimiter)) yield { number: record.number, cells: record.fields };
  }
  yield* readTable(rows(), { kind: 'csv' }, { kind: 'csv' }, operation, counter);
}

// ---------------------------------------------------------------------------------------------
// Workbooks

async function* readWorkbook(input: Buffer, operation: Operation, counter: Counter, limits?: ZipLimits): AsyncGenerator<ReadEvent> {
  const zip = ZipArchive.open(input, limits);
  const found = await readWorkbookInfo(zip);
  if ('missing' in found) throw new ImportFileError(found.missing === 'binary' ? 'binaryWorkbook' : 'notSpreadsheet');
  const { info } = found;

  let context: SheetContext | null = null;
  const sheetContext = async (): Promise<SheetContext> => {
    if (context) return context;
    const sharedStrings = info.sharedStrings ? await readSharedStrings(zip, info.sharedStrings) : [];
    let dateStyles: DateKind[] = [];
    if (info.styles) {
      try {
        dateStyles = await readDateStyles(zip, info.styles);
      } catch (err) {
        // A broken style sheet costs only the date formatting of numbers; anything else is fatal.
        if (!(err instanceof ImportFileError && err.key === 'corrupt')) throw err;
      }
    }
    context = { sharedStrings, dateStyles, date1904: info.date1904 };
    return context;
  };

  const named = info.sheets.flatMap((sheet) => {
    const entity = entityForSheet(sheet.name);
    return entity && sheet.entry ? [{ sheet, entity, entry: sheet.entry }] : [];
  });
  for (const entity of ENTITIES) {
    const same = named.filter((n) => n.entity === entity);
    if (same.length > 1) throw new ImportFileError('duplicateSheet', { entity, sheets: same.map((n) => n.sheet.name).join(', ') });
  }

  if (named.length > 0) {
    for (const { sheet, entity, entry } of named) {
      const ctx = await sheetContext();
      yield* readTable(sheetRows(zip, entry, ctx), { kind: 'sheet', sheet: sheet.name }, { kind: 'fixed', entity }, operation, counter);
    }
    return;
  }

  // No sheet named as the template's: every visible sheet whose header says what it holds.
  const taken = new Map<Entity, string>();
  let refusal: ImportFileError | undefined;
  let anyRead = false;
  for (const sheet of info.sheets) {
    if (!sheet.entry || sheet.state !== 'visible') continue;
    const ctx = await sheetContext();
    const outcome = yield* readTable(
      sheetRows(zip, sheet.entry, ctx),
      { kind: 'sheet', sheet: sheet.name },
      { kind: 'detect' },
      operation,
      counter,
      (entity) => {
        const other = taken.get(entity);
        if (other !== undefined) throw new ImportFileError('duplicateSheet', { entity, sheets: `${other}, ${sheet.name}` });
        taken.set(entity, sheet.name);
      },
    );
    if (outcome.read) anyRead = true;
    else refusal ??= outcome.refusal;
  }
  if (!anyRead) throw refusal ?? new ImportFileError('noKnownSheet');
}
