/*
 * The parts of an .xlsx the import needs, read as streams of SAX events (saxes) from the zip
 * entries (lib/import/zip.ts): the workbook's sheet list and relationships, the shared strings,
 * the number formats that make a number a date, and each sheet's rows, one at a time.
 *
 * Why not exceljs's streaming WorkbookReader (exceljs stays the library that WRITES workbooks):
 * on version 4.4.0 it returns a shared string's phonetic guide instead of its text (a name typed
 * with a Japanese IME, `<t>山田</t><rPh><t>ヤマダ</t></rPh>`, reads as ヤマダ), keeps only the last
 * run of inline rich text, throws on cells and rows without an `r` reference (valid OOXML, written
 * by several libraries), never settles its promise on an empty file, spools sheets to temporary
 * files when the shared strings come after them in the zip, and cannot bound what an entry
 * really inflates to. Reading the zip by its central directory (the upload is in memory anyway)
 * avoids all of that: parts are taken in the order we need them, sheets stream straight from
 * the inflater into the SAX parser, and stop at `</sheetData>`.
 *
 * Cell values become text as a person sees them in Excel (modulo number formats): numbers without
 * float noise (1, 0.3, 81312345678), date-formatted numbers as YYYY-MM-DD (with the time when
 * there is one), booleans TRUE/FALSE, error values as their text (#N/A), rich text concatenated,
 * phonetic guides left out, formulas as their cached result, OOXML `_xHHHH_` escapes decoded.
 */
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { ImportFileError } from './errors';
import { detach } from './cells';
import type { ZipArchive, ZipEntry } from './zip';

const corrupt = () => new ImportFileError('corrupt');

/** Local name of a possibly prefixed element (`x:row` → `row`). */
function local(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

/** `_x000D_` → CR, `_x005F_x000D_` → the literal `_x000D_` (ECMA-376 ST_Xstring). */
export function decodeEscapes(text: string): string {
  if (text.indexOf('_x') < 0) return text;
  return text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

type Handlers = {
  open?: (name: string, attributes: Record<string, string>) => void;
  text?: (text: string) => void;
  close?: (name: string) => void;
};

type ParserOptions = { xmlns: false; position: false };

function newParser(handlers: Handlers): SaxesParser<ParserOptions> {
  const parser = new SaxesParser<ParserOptions>({ xmlns: false, position: false });
  const { open, text, close } = handlers;
  if (open) parser.on('opentag', (tag: SaxesTagPlain) => open(local(tag.name), tag.attributes as Record<string, string>));
  if (text) {
    parser.on('text', text);
    parser.on('cdata', text);
  }
  if (close) parser.on('closetag', (tag: SaxesTagPlain) => close(local(tag.name)));
  parser.on('error', (err: Error) => {
    throw err;
  });
  return parser;
}

/**
 * Streams an entry through a SAX parser, yielding after each chunk. Once `done()` is true the rest
 * is only inflated, not parsed, so the entry's checksum is still verified. XML errors → `corrupt`.
 */
async function* saxChunks(zip: ZipArchive, entry: ZipEntry, handlers: Handlers, done: () => boolean = () => false): AsyncGenerator<void> {
  const parser = newParser(handlers);
  let decoder: TextDecoder | null = null;
  let parsing = true;
  try {
    for await (const chunk of zip.stream(entry)) {
      if (!parsing) continue;
      if (!decoder) {
        const utf16 = chunk[0] === 0xff && chunk[1] === 0xfe ? 'utf-16le' : chunk[0] === 0xfe && chunk[1] === 0xff ? 'utf-16be' : null;
        decoder = new TextDecoder(utf16 ?? 'utf-8');
      }
      parser.write(decoder.decode(chunk, { stream: true }));
      yield;
      if (done()) parsing = false;
    }
    if (!parsing) return;
    if (decoder) parser.write(decoder.decode());
    parser.close();
    yield;
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    throw corrupt();
  }
}

async function parseAll(zip: ZipArchive, entry: ZipEntry, handlers: Handlers, done?: () => boolean): Promise<void> {
  for await (const _ of saxChunks(zip, entry, handlers, done)) {
    // events handled as they come
  }
}

// ---------------------------------------------------------------------------------------------
// Package structure

export interface SheetInfo {
  name: string;
  /** Hidden or very hidden sheets are still sheets; the reader decides what to do with them. */
  state: string;
  /** The zip entry of the sheet's XML, or null when the workbook points at nothing. */
  entry: ZipEntry | null;
}

export interface WorkbookInfo {
  sheets: SheetInfo[];
  date1904: boolean;
  sharedStrings: ZipEntry | null;
  styles: ZipEntry | null;
}

/** `target` of a relationship, resolved against the folder of the part that holds it. */
function resolveTarget(baseDir: string, target: string): string {
  const parts = (target.startsWith('/') ? target.slice(1) : `${baseDir}${target}`).split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '..') out.pop();
    else if (part !== '.' && part !== '') out.push(part);
  }
  return out.join('/');
}

async function relationships(zip: ZipArchive, partName: string): Promise<{ id: string; type: string; target: string }[]> {
  const slash = partName.lastIndexOf('/');
  const dir = slash < 0 ? '' : partName.slice(0, slash + 1);
  const file = slash < 0 ? partName : partName.slice(slash + 1);
  const entry = zip.get(`${dir}_rels/${file}.rels`);
  if (!entry) return [];
  const rels: { id: string; type: string; target: string }[] = [];
  await parseAll(zip, entry, {
    open(name, a) {
      if (name === 'Relationship' && a.Target && a.TargetMode !== 'External') {
        rels.push({ id: a.Id ?? '', type: (a.Type ?? '').split('/').pop() ?? '', target: resolveTarget(dir, a.Target) });
      }
    },
  });
  return rels;
}

/**
 * The workbook part (via the package's relationships, else `xl/workbook.xml`), its sheets in
 * workbook order, and where the shared strings and styles are. Null when there is no workbook
 * part at all (not a spreadsheet, or an .xlsb whose workbook is `workbook.bin`).
 */
export async function readWorkbookInfo(zip: ZipArchive): Promise<{ info: WorkbookInfo } | { missing: 'workbook' | 'binary' }> {
  const rootRels = await relationships(zip, '');
  const officeDocument = rootRels.find((r) => r.type === 'officeDocument')?.target;
  const workbookName = [officeDocument, 'xl/workbook.xml'].find((n) => n && zip.get(n) && n.toLowerCase().endsWith('.xml'));
  if (!workbookName) {
    const binary = (officeDocument && officeDocument.toLowerCase().endsWith('.bin')) || zip.get('xl/workbook.bin');
    return { missing: binary ? 'binary' : 'workbook' };
  }
  const rels = await relationships(zip, workbookName);
  const relById = new Map(rels.map((r) => [r.id, r]));
  const sheets: SheetInfo[] = [];
  let date1904 = false;
  await parseAll(zip, zip.get(workbookName)!, {
    open(name, a) {
      if (name === 'workbookPr') date1904 = a.date1904 === '1' || a.date1904 === 'true';
      else if (name === 'sheet') {
        const rid = a['r:id'] ?? Object.entries(a).find(([k]) => k.endsWith(':id'))?.[1] ?? a.id ?? '';
        const target = relById.get(rid)?.target;
        sheets.push({ name: a.name ?? '', state: a.state ?? 'visible', entry: (target && zip.get(target)) || null });
      }
    },
  });
  const byType = (type: string, fallback: string) => {
    const target = rels.find((r) => r.type === type)?.target;
    return (target && zip.get(target)) || zip.get(fallback) || null;
  };
  return {
    info: {
      sheets,
      date1904,
      sharedStrings: byType('sharedStrings', 'xl/sharedStrings.xml'),
      styles: byType('styles', 'xl/styles.xml'),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Shared strings and styles

/** The shared string table: each `<si>`'s text runs concatenated, phonetic guides (`<rPh>`) left out. */
export async function readSharedStrings(zip: ZipArchive, entry: ZipEntry): Promise<string[]> {
  const table: string[] = [];
  let current = '';
  let inSi = false;
  let inT = false;
  let phonetic = 0;
  await parseAll(zip, entry, {
    open(name) {
      if (name === 'si') {
        inSi = true;
        current = '';
      } else if (name === 't') inT = inSi && phonetic === 0;
      else if (name === 'rPh') phonetic++;
    },
    text(text) {
      if (inT) current += text;
    },
    close(name) {
      if (name === 't') inT = false;
      else if (name === 'rPh') phonetic--;
      else if (name === 'si') {
        table.push(detach(decodeEscapes(current)));
        inSi = false;
      }
    },
  });
  return table;
}

// Built-in number formats that show a date or time (ECMA-376 18.8.30, with the East Asian ones 27–36, 50–58).
const BUILTIN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58]);
const BUILTIN_TIME_ONLY = new Set([18, 19, 20, 21, 45, 46, 47]);

/** date: a calendar date (maybe with a time); time: a time of day; elapsed: a duration in hours (`[h]:mm`). */
export type DateKind = 'date' | 'time' | 'elapsed' | null;

/** Whether a number format shows a date (y, m, d, era), a time only, or neither. */
export function dateKindOfFormat(id: number, code: string | undefined): DateKind {
  if (code === undefined) return BUILTIN_DATE_FORMATS.has(id) ? (BUILTIN_TIME_ONLY.has(id) ? 'time' : 'date') : null;
  const bare = code
    .replace(/"[^"]*"/g, '')
    .replace(/\\./g, '')
    .replace(/[_*]./g, '')
    .replace(/\[(?![hms]+\])[^\]]*\]/gi, '')
    .replace(/general/gi, '')
    .split(';')[0]!;
  const time = /[hs]/i.test(bare);
  if (/[ydg]/i.test(bare) || (/m/i.test(bare) && !time)) return 'date';
  if (/\[h+\]/i.test(bare)) return 'elapsed';
  return time ? 'time' : null;
}

/** The date kind of each cell style (`s` attribute = index into cellXfs). */
export async function readDateStyles(zip: ZipArchive, entry: ZipEntry): Promise<DateKind[]> {
  const custom = new Map<number, string>();
  const xfs: number[] = [];
  let inCellXfs = false;
  await parseAll(zip, entry, {
    open(name, a) {
      if (name === 'numFmt') custom.set(Number(a.numFmtId), a.formatCode ?? '');
      else if (name === 'cellXfs') inCellXfs = true;
      else if (name === 'xf' && inCellXfs) xfs.push(Number(a.numFmtId ?? 0));
    },
    close(name) {
      if (name === 'cellXfs') inCellXfs = false;
    },
  });
  return xfs.map((id) => dateKindOfFormat(id, custom.get(id)));
}

// ---------------------------------------------------------------------------------------------
// Values

/** A stored number as text without float noise: 1 (not 1.0), 0.3 (not 0.30000000000000004). */
export function formatNumber(stored: string): string {
  const n = Number(stored);
  if (stored.trim() === '' || !Number.isFinite(n)) return stored;
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  return String(Number(n.toPrecision(15)));
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** An Excel serial date as YYYY-MM-DD (plus HH:MM:SS when it has a time), a time as HH:MM:SS, a duration as H:MM:SS. */
export function formatSerialDate(serial: number, kind: Exclude<DateKind, null>, date1904: boolean): string | null {
  if (!Number.isFinite(serial) || serial < 0 || serial > 2958465) return null;
  let days = Math.floor(serial);
  let seconds = Math.round((serial - days) * 86400);
  if (seconds >= 86400) {
    days += 1;
    seconds -= 86400;
  }
  const time = `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
  if (kind === 'time') return time;
  if (kind === 'elapsed') return `${days * 24 + Math.floor(seconds / 3600)}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
  // 1900 system: serial 1 = 1900-01-01, and Excel counts a 29 February 1900 that never was (serial 60).
  const epoch = date1904 ? Date.UTC(1904, 0, 1) : days < 60 ? Date.UTC(1899, 11, 31) : Date.UTC(1899, 11, 30);
  if (!date1904 && days === 60) return seconds ? `1900-02-29 ${time}` : '1900-02-29';
  const d = new Date(epoch + days * 86400000);
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  return seconds ? `${date} ${time}` : date;
}

// ---------------------------------------------------------------------------------------------
// Sheet rows

export interface RawRow {
  /** The sheet's row number (1-based). */
  number: number;
  /** Cell text by 0-based column index (sparse: absent = empty). */
  cells: string[];
}

/** Column index (0-based) of a cell reference like `AB12`, or -1. */
function columnOf(ref: string): number {
  let col = 0;
  let i = 0;
  for (; i < ref.length; i++) {
    const c = ref.charCodeAt(i) | 0x20; // lower case
    if (c < 97 || c > 122) break;
    col = col * 26 + (c - 96);
  }
  return i === 0 ? -1 : col - 1;
}

export const MAX_COLUMNS = 16384;

export interface SheetContext {
  sharedStrings: readonly string[];
  dateStyles: readonly DateKind[];
  date1904: boolean;
}

/**
 * A sheet's rows in order, streamed from its XML: only `<sheetData>` is read, and reading stops
 * at its end (data validations, conditional formats and drawings after it are never parsed).
 * Rows and cells without an `r` reference follow the previous one.
 */
export async function* sheetRows(zip: ZipArchive, entry: ZipEntry, ctx: SheetContext): AsyncGenerator<RawRow> {
  const { sharedStrings, dateStyles, date1904 } = ctx;
  const ready: RawRow[] = [];
  let inData = false;
  let finished = false;
  let row: RawRow | null = null;
  let lastRow = 0;
  let col = -1;
  let type = '';
  let style = 0;
  let value = '';
  let hasValue = false;
  let capture = false; // inside <v>, or a <t> of an inline string outside a phonetic guide
  let inInline = false;
  let phonetic = 0;

  const handlers: Handlers = {
    open(name, a) {
      if (!inData) {
        if (name === 'sheetData') inData = true;
        return;
      }
      switch (name) {
        case 'row': {
          const r = a.r ? parseInt(a.r, 10) : NaN;
          lastRow = Number.isFinite(r) && r > 0 ? r : lastRow + 1;
          row = { number: lastRow, cells: [] };
          col = -1;
          break;
        }
        case 'c': {
          const ref = a.r ? columnOf(a.r) : -1;
          col = ref >= 0 ? ref : col + 1;
          type = a.t ?? 'n';
          style = a.s ? Number(a.s) : 0;
          value = '';
          hasValue = false;
          inInline = false;
          phonetic = 0;
          break;
        }
        case 'v':
          capture = true;
          hasValue = true;
          break;
        case 'is':
          inInline = true;
          hasValue = true;
          break;
        case 'rPh':
          phonetic++;
          break;
        case 't':
          if (inInline && phonetic === 0) capture = true;
          break;
      }
    },
    text(text) {
      if (capture) value += text;
    },
    close(name) {
      if (!inData) return;
      switch (name) {
        case 'v':
        case 't':
          capture = false;
          break;
        case 'rPh':
          phonetic--;
          break;
        case 'c':
          if (row && hasValue && col >= 0 && col < MAX_COLUMNS) {
            const text = cellText(type, value, style);
            if (text !== '') row.cells[col] = text;
          }
          break;
        case 'row':
          if (row) ready.push(row);
          row = null;
          break;
        case 'sheetData':
          inData = false;
          finished = true;
          break;
      }
    },
  };

  function cellText(t: string, v: string, s: number): string {
    switch (t) {
      case 's': {
        const index = v.trim() === '' ? NaN : Number(v);
        return sharedStrings[index] ?? '';
      }
      case 'inlineStr':
      case 'str':
        return detach(decodeEscapes(v));
      case 'b':
        return v.trim() === '1' || v.trim().toLowerCase() === 'true' ? 'TRUE' : 'FALSE';
      case 'e':
        return detach(v);
      case 'd': {
        const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}:\d{2}))?/.exec(v.trim());
        if (!m) return v;
        return m[2] && m[2] !== '00:00:00' ? `${m[1]} ${m[2]}` : m[1]!;
      }
      default: {
        if (v === '') return '';
        const kind = dateStyles[s];
        if (kind) {
          const formatted = formatSerialDate(Number(v), kind, date1904);
          if (formatted !== null) return formatted;
        }
        return detach(formatNumber(v));
      }
    }
  }

  for await (const _ of saxChunks(zip, entry, handlers, () => finished)) {
    if (ready.length) {
      for (const r of ready) yield r;
      ready.length = 0;
    }
  }
  for (const r of ready) yield r;
}
