import type { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { createTranslator } from 'next-intl';
import type { Locale } from '@/lib/i18n/config';
import { catalogues } from '@/lib/i18n/messages';
import type templateMessages from '@/lib/i18n/messages/import-template.en.json';
import { neutraliseFormula } from './cells';
import {
  COLUMN_SPECS,
  ENTITIES,
  MAX_DATA_ROWS,
  MAX_FILE_BYTES,
  REQUIRED_COLUMNS,
  SHEET_NAMES,
  type ColumnKey,
  type ColumnSpec,
  type Entity,
  type OrgColumn,
  type UserColumn,
} from './columns';

/*
 * The import template (SPEC 3.5), written with exceljs's STREAMING WorkbookWriter so the same code
 * serves the empty template, "Download current data" (100,000+ users) and the failed rows of an
 * import in template form: rows go out in batches and are never all held in memory.
 *
 * Tabs, in this order:
 * - the instructions (`Instructions` / `記入方法`) FIRST: the empty template opens on it, so a
 *   first-time admin reads how to fill the file before filling it; a filled workbook (current
 *   data, failed rows) opens on its first data sheet instead. The Japanese tab is not `説明`: that
 *   is already the Japanese header of the Description column, and a tab and a column of the same
 *   name would be confusing. The reader ignores this sheet whatever its name.
 * - `Organizations` and `Users` (these names in both languages, as the SPEC names them): a bold,
 *   frozen, filtered header row from COLUMN_SPECS in the locale, a note on each header cell, text
 *   format on every column (so Excel keeps `0012` or `1-2` as typed), and a Y/N drop-down on the
 *   Y/N columns over rows 2..200,001 (the row limit; never whole columns, which hang some readers).
 * - `_tenantry`, `veryHidden` (not even listed by Excel's Unhide): the template marker, key/value
 *   rows `format`, `version`, `kind`, `locale`, `entities`. A sheet rather than a defined name
 *   because a streaming reader sees sheets and cells, and the reader ignores unknown sheets.
 */

export const TEMPLATE_VERSION = 1;
export const MARKER_SHEET = '_tenantry';
export const MARKER_FORMAT = 'tenantry-import';
/** What a workbook is, as its marker says: the three template forms, or an import's full results. */
export type WorkbookKind = 'template' | 'export' | 'failedRows' | 'results';

/** One data row: values by column (as they should appear), and for failed rows the reason. */
export interface TemplateRow {
  values: Partial<Record<ColumnKey, string>>;
  message?: string;
}

type Batches<T> = AsyncIterable<T[]> | Iterable<T[]>;

export interface TemplateData {
  /** What the workbook is (the marker says it; `failedRows` adds the Message column). Default `template`, or `export` when rows are given. */
  kind?: WorkbookKind;
  tenantName?: string;
  /** The tenant's top organization: path examples use it. */
  rootName?: string;
  /** Catalog services, listed on the instructions sheet (key and name). */
  services?: readonly { key: string; name: string; nameJa?: string | null }[];
  /** Group names, listed on the instructions sheet; undefined = not listed (org admins: groups are tenant-wide). */
  groups?: readonly string[];
  /** The number of groups when `groups` is a first slice. */
  groupCount?: number;
  /** An org admin's export: only their subtree. */
  scoped?: boolean;
  /** For `failedRows`: the uploaded file's name. */
  fileName?: string;
  /** The sheet the workbook opens on (a filled workbook: default Organizations). */
  activeSheet?: Entity;
  /** Data rows per entity, in batches; read one batch at a time. */
  rows?: Partial<Record<Entity, Batches<TemplateRow>>>;
  /** "As of" of an export (default now), shown in the instructions' time zone. */
  generatedAt?: Date;
  timeZone?: string;
}

export interface TemplateOptions {
  locale: Locale;
  data?: TemplateData;
}

/** The `importTemplate` messages of a locale, outside of a request. */
export function templateTranslator(locale: Locale) {
  return createTranslator({
    locale,
    // Typed by the English file: keys are checked at compile time (the ja file has the same keys).
    messages: catalogues[locale] as unknown as typeof templateMessages,
    namespace: 'importTemplate',
  });
}
export type TemplateTranslator = ReturnType<typeof templateTranslator>;

/** A column's explanation (header note, instructions table). */
export function columnText(t: TemplateTranslator, entity: Entity, key: ColumnKey): string {
  return entity === 'organization' ? t(`columns.organization.${key as OrgColumn}`) : t(`columns.user.${key as UserColumn}`);
}

export const yesNo = (value: boolean): 'Y' | 'N' => (value ? 'Y' : 'N');

// ---------------------------------------------------------------------------------------------
// Layout helpers

/** A sheet view; exceljs's types lack `tabSelected`, which its writer renders. */
const sheetView = (view: Partial<ExcelJS.WorksheetView> & { tabSelected?: boolean }) => view as Partial<ExcelJS.WorksheetView>;

/** The streaming writer's worksheet: exceljs's types omit its `dataValidations`. */
export type SheetWriter = ExcelJS.Worksheet & { dataValidations: { add(range: string, validation: ExcelJS.DataValidation): void } };

/** The workbook's font: Calibri, or Yu Gothic (Japanese Excel's default) for Japanese. */
export function baseFont(locale: Locale): Partial<ExcelJS.Font> {
  return locale === 'ja' ? { name: 'Yu Gothic', family: 2, charset: 128, size: 11 } : { name: 'Calibri', family: 2, size: 11 };
}

const STYLE = {
  headerFill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDE4EE' } } as ExcelJS.Fill,
  /** Excel's "light red fill" (conditional formatting preset), for failed rows. */
  errorFill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFC7CE' } } as ExcelJS.Fill,
  errorFont: { color: { argb: 'FF9C0006' } } as Partial<ExcelJS.Font>,
  headerBorder: { bottom: { style: 'thin', color: { argb: 'FF8EA0B8' } } } as Partial<ExcelJS.Borders>,
};

/** A column number as letters (1 → A, 27 → AA). */
export function columnLetter(n: number): string {
  let s = '';
  for (let i = n; i > 0; i = Math.floor((i - 1) / 26)) s = String.fromCharCode(65 + ((i - 1) % 26)) + s;
  return s;
}

/** Display width of a text in "0"-widths: East Asian wide characters count two. */
export function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    w += (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) || c >= 0x20000 ? 2 : 1;
  }
  return w;
}

/**
 * Lines a wrapped text takes in a cell `width` wide. Proportional Latin text averages narrower than
 * the "0" that column widths count; a word break costs a little.
 */
export function wrappedLines(text: string, width: number): number {
  const usable = Math.max(8, width - 1);
  return text.split('\n').reduce((n, line) => {
    const wide = textWidth(line) - line.length;
    const narrow = line.length - wide;
    return n + Math.max(1, Math.ceil((narrow * 0.92 + wide * 2) / usable));
  }, 0);
}

/** Points per line of 11-point text: Japanese fonts need more than Calibri. */
const lineHeight = (locale: Locale) => (locale === 'ja' ? 18 : 15);

/**
 * Sets a header note sized to its text: exceljs draws every note 2 columns × 4 rows, which cuts a
 * long (or Japanese) explanation off. The note keeps exceljs's model, with an anchor added
 * (exceljs 4.4 renders `anchor` when present; it has no public option for it). The box starts
 * right of the cell and spans whole columns, as few as make it at least `box` characters wide.
 */
function setNote(cell: ExcelJS.Cell, text: string, widthOf: (column: number) => number, locale: Locale, box = 30): void {
  cell.note = text;
  const comment = (cell as unknown as { _comment?: { model: Record<string, unknown> } })._comment;
  if (!comment) return;
  // VML anchors count columns and rows from 0: the cell's own 1-based number is the next column.
  const left = Number(cell.col);
  let right = left;
  let width = 0;
  while (width < box) width += widthOf(++right);
  const lines = wrappedLines(text, width) + 1;
  const rows = Math.ceil((lines * lineHeight(locale)) / 15);
  const base = comment.model;
  Object.defineProperty(comment, 'model', {
    configurable: true,
    get: () => ({ ...base, anchor: { left: left + 0.1, top: 0.3, right, bottom: 0.3 + rows } }),
  });
}

type Drainable = EventEmitter & { writableNeedDrain?: boolean; _writableState?: { needDrain?: boolean } };

/** Resolves on `stream`'s next 'drain'; rejects if `output` closes or fails first (a cancelled download). */
function nextDrain(stream: Drainable, output: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      stream.off('drain', onDrain);
      output.off('close', onClose);
      output.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('output closed'));
    stream.on('drain', onDrain);
    output.on('close', onClose);
    output.on('error', done);
  });
}

/**
 * Waits until what has been written so far has moved on, so memory stays flat whatever the row
 * count and however slow the download:
 * - exceljs's sheet stream (a StreamBuf) pushes into archiver's entry stream without looking at
 *   its backpressure, so the XML of a fast writer piles up there while zlib compresses: wait for
 *   that entry stream to drain (exceljs 4.4 / archiver 5 internals, skipped if absent);
 * - then for `output` (the download) to drain.
 * Throws once the output is gone.
 */
async function drained(output: Writable, ws?: ExcelJS.Worksheet): Promise<void> {
  if (output.destroyed) throw new Error('output closed');
  const pipes = (ws as unknown as { _stream?: { pipes?: Drainable[] } } | undefined)?._stream?.pipes ?? [];
  for (const pipe of pipes) {
    while (pipe._writableState?.needDrain ?? pipe.writableNeedDrain) await nextDrain(pipe, output);
  }
  while (output.writableNeedDrain && !output.destroyed) await nextDrain(output as Drainable, output);
  if (output.destroyed) throw new Error('output closed');
}

/**
 * Finishes the workbook (its last entries, the zip's directory) and waits until `output` has
 * taken it all. Rejects when the output closes first (a download cancelled by the client), where
 * exceljs alone would wait forever for a `finish` that never comes.
 */
export async function commitWorkbook(workbook: ExcelJS.stream.xlsx.WorkbookWriter, output: Writable): Promise<void> {
  if (output.destroyed) throw new Error('output closed');
  await new Promise<void>((resolve, reject) => {
    const onClose = () => {
      if (!output.writableFinished) reject(new Error('output closed'));
    };
    output.once('close', onClose);
    workbook.commit().then(
      () => {
        output.off('close', onClose);
        resolve();
      },
      (err: unknown) => {
        output.off('close', onClose);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** A workbook writer on `output` with styles and inline strings (no shared-string table held in memory). */
export function openWorkbook(output: Writable): ExcelJS.stream.xlsx.WorkbookWriter {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output, useStyles: true, useSharedStrings: false });
  workbook.creator = 'Tenantry';
  workbook.lastModifiedBy = 'Tenantry';
  return workbook;
}

/**
 * Reads one batch ahead: the next batch's queries run in PostgreSQL while this process turns the
 * current one into XML. Holds at most two batches.
 */
export async function* prefetch<T>(source: AsyncIterator<T>): AsyncGenerator<T> {
  let next = source.next();
  // A read that fails after the consumer stopped must not become an unhandled rejection.
  next.catch(() => {});
  try {
    for (;;) {
      const result = await next;
      if (result.done) return;
      next = source.next();
      next.catch(() => {});
      yield result.value;
    }
  } finally {
    await source.return?.(undefined);
  }
}

/** Writes batches of rows to `ws`, waiting for the zip and the output between batches; the row callback adds and commits. */
export async function writeBatches<T>(output: Writable, ws: ExcelJS.Worksheet, batches: Batches<T>, each: (item: T) => void): Promise<void> {
  for await (const batch of batches) {
    for (const item of batch) each(item);
    await drained(output, ws);
  }
}

// ---------------------------------------------------------------------------------------------
// Data sheets

/** Column widths of the template's data sheets (characters). */
const WIDTHS: Record<ColumnKey, number> = {
  name: 28,
  parent: 36,
  description: 40,
  emailNotifications: 20,
  email: 34,
  firstName: 16,
  lastName: 16,
  org: 36,
  admin: 16,
  active: 12,
  services: 28,
  groups: 28,
  language: 12,
};
const MESSAGE_WIDTH = 60;

/** The last row a Y/N drop-down covers: the header plus the most data rows a file may hold. */
export const VALIDATION_LAST_ROW = MAX_DATA_ROWS + 1;

interface DataSheetSetup {
  entity: Entity;
  locale: Locale;
  t: TemplateTranslator;
  selected: boolean;
  withMessage: boolean;
}

/** An Organizations or Users sheet: the header row frozen; printed landscape, one page wide, the header on every page. */
export function addEntitySheet(workbook: ExcelJS.stream.xlsx.WorkbookWriter, entity: Entity, selected: boolean): SheetWriter {
  const ws = workbook.addWorksheet(SHEET_NAMES[entity].en, {
    views: [sheetView({ state: 'frozen', ySplit: 1, xSplit: 0, tabSelected: selected, activeCell: 'A2' })],
    pageSetup: { orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0, printTitlesRow: '1:1' },
  });
  return ws as SheetWriter;
}

/** Adds a data sheet's header row (bold, shaded, ruled below, centred vertically); the caller commits it. */
export function addHeaderRow(ws: ExcelJS.Worksheet, texts: readonly string[], font: Partial<ExcelJS.Font>): ExcelJS.Row {
  const header = ws.addRow([...texts]);
  header.font = { ...font, bold: true };
  header.eachCell((cell) => {
    cell.fill = STYLE.headerFill;
    cell.border = STYLE.headerBorder;
    cell.alignment = { vertical: 'middle' };
  });
  return header;
}

function addDataSheet(workbook: ExcelJS.stream.xlsx.WorkbookWriter, setup: DataSheetSetup): SheetWriter {
  const { entity, locale, t, selected, withMessage } = setup;
  const specs = COLUMN_SPECS[entity];
  const ws = addEntitySheet(workbook, entity, selected);
  const font = baseFont(locale);
  const style: Partial<ExcelJS.Style> = { numFmt: '@', font };
  ws.columns = [
    ...specs.map((s) => ({ key: s.key, width: Math.max(WIDTHS[s.key], textWidth(s.header[locale]) + 4), style })),
    ...(withMessage ? [{ key: 'message', width: MESSAGE_WIDTH, style }] : []),
  ];
  const header = addHeaderRow(ws, [...specs.map((s) => s.header[locale]), ...(withMessage ? [t('results.message')] : [])], font);
  // 1-based column number → width; beyond the sheet's columns, Excel's default.
  const widthOf = (n: number) => Number(ws.columns[n - 1]?.width ?? 9);
  specs.forEach((spec, i) => setNote(header.getCell(i + 1), columnText(t, entity, spec.key), widthOf, locale));
  if (withMessage) header.getCell(specs.length + 1).font = { ...font, bold: true, ...STYLE.errorFont };
  header.commit();
  return ws;
}

/** Drop-downs, filter: written when the sheet is committed, so they may depend on the rows written. */
function finishDataSheet(ws: SheetWriter, entity: Entity, lastRow: number, t: TemplateTranslator, withMessage: boolean): void {
  const specs = COLUMN_SPECS[entity];
  const bottom = Math.max(VALIDATION_LAST_ROW, lastRow);
  specs.forEach((spec: ColumnSpec, i) => {
    if (!spec.yesNo) return;
    const col = columnLetter(i + 1);
    ws.dataValidations.add(`${col}2:${col}${bottom}`, {
      type: 'list',
      allowBlank: true,
      formulae: ['"Y,N"'],
      showErrorMessage: true,
      // A warning, not a stop: the reader also takes yes/no, true/false, はい/いいえ.
      errorStyle: 'warning',
      errorTitle: t('validation.yesNoTitle'),
      error: t('validation.yesNo'),
    });
  });
  ws.autoFilter = `A1:${columnLetter(specs.length + (withMessage ? 1 : 0))}${Math.max(1, lastRow)}`;
  ws.commit();
}

async function writeDataSheet(
  ws: ExcelJS.Worksheet,
  entity: Entity,
  locale: Locale,
  output: Writable,
  batches: Batches<TemplateRow> | undefined,
  withMessage: boolean,
): Promise<number> {
  const specs = COLUMN_SPECS[entity];
  let lastRow = 1;
  if (!batches) return lastRow;
  const styles = sharedStyles(locale);
  await writeBatches(output, ws, batches, (r) => {
    const cells = specs.map((s) => neutraliseFormula(r.values[s.key] ?? ''));
    if (withMessage) cells.push(neutraliseFormula(r.message ?? ''));
    const row = ws.addRow(cells);
    row.eachCell((cell) => (cell.style = styles.text));
    if (withMessage) row.getCell(specs.length + 1).style = styles.errorText;
    row.commit();
    lastRow = row.number;
  });
  return lastRow;
}

/**
 * Style objects shared by every data cell. exceljs resolves a cell's style to an id through a
 * cache keyed by the style OBJECT, and gives each new cell its own copy of the column's style:
 * resolving 100,000 rows × 9 copies was a third of the writing time. Assign, never mutate
 * (`cell.font = …` would change every cell sharing it).
 */
export function sharedStyles(locale: Locale) {
  const font = baseFont(locale);
  return {
    text: { numFmt: '@', font } as Partial<ExcelJS.Style>,
    errorText: { numFmt: '@', font: { ...font, ...STYLE.errorFont }, fill: STYLE.errorFill } as Partial<ExcelJS.Style>,
    errorRow: { numFmt: '@', font, fill: STYLE.errorFill } as Partial<ExcelJS.Style>,
    errorResult: { numFmt: '@', font: { ...font, ...STYLE.errorFont, bold: true }, fill: STYLE.errorFill } as Partial<ExcelJS.Style>,
  };
}

// ---------------------------------------------------------------------------------------------
// Instructions sheet

type Block =
  | { kind: 'title' | 'heading' | 'para' | 'note'; text: string }
  /** Rows of data (user-supplied names): formula-neutralised; fewer than 4 columns → the last spans to D. */
  | { kind: 'table'; header: string[]; rows: string[][] }
  | { kind: 'list'; items: string[] }
  | { kind: 'gap' };

const INSTRUCTION_WIDTHS = [24, 18, 72, 30];
/** At most this many group names are listed on the instructions sheet (the rest are counted). */
export const MAX_LISTED_GROUPS = 1000;

function instructionBlocks(locale: Locale, t: TemplateTranslator, kind: WorkbookKind, data: TemplateData): Block[] {
  const root = data.rootName ?? 'CA';
  const serviceKeys = (data.services ?? []).slice(0, 2).map((s) => s.key);
  const example = `${root}__${t('examples.orgName')}`;
  const examples: Record<ColumnKey, string> = {
    name: t('examples.orgName'),
    parent: root,
    description: t('examples.orgDescription'),
    emailNotifications: 'Y',
    email: 'taro.yamada@example.com',
    firstName: t('examples.firstName'),
    lastName: t('examples.lastName'),
    org: example,
    admin: 'N',
    active: 'Y',
    services: serviceKeys.length > 0 ? serviceKeys.join(';') : 'cloud;playbook',
    groups: (data.groups ?? []).slice(0, 2).join(';') || 'Sales;Support',
    language: locale,
  };
  const required = (entity: Entity, key: ColumnKey) =>
    REQUIRED_COLUMNS.delete[entity].includes(key)
      ? t('required.always')
      : REQUIRED_COLUMNS.upsert[entity].includes(key)
        ? t('required.upsert')
        : t('required.no');
  const tableHeader = [t('table.column'), t('table.required'), t('table.meaning'), t('table.example')];

  const dateText = new Intl.DateTimeFormat(locale, {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: data.timeZone ?? process.env.APP_TIME_ZONE ?? 'Asia/Tokyo',
  }).format(data.generatedAt ?? new Date());

  const blocks: Block[] = [{ kind: 'title', text: t('title') }];
  if (kind === 'export') {
    blocks.push({ kind: 'para', text: t('introExport', { tenant: data.tenantName ?? root, date: dateText }) });
    if (data.scoped) blocks.push({ kind: 'para', text: t('introExportScoped') });
  } else if (kind === 'failedRows') {
    blocks.push({ kind: 'para', text: t('introFailed', { file: data.fileName ?? '' }) });
  }
  blocks.push(
    { kind: 'para', text: t('intro') },
    { kind: 'gap' },
    { kind: 'heading', text: t('steps.heading') },
    { kind: 'para', text: t('steps.keepHeaders') },
    { kind: 'para', text: t('steps.oneRow') },
    { kind: 'para', text: t('steps.upload') },
    { kind: 'para', text: t('steps.preview') },
    { kind: 'gap' },
    { kind: 'heading', text: t('operations.heading') },
    { kind: 'para', text: t('operations.upsert') },
    { kind: 'para', text: t('operations.delete', { root }) },
  );
  for (const entity of ENTITIES) {
    blocks.push(
      { kind: 'gap' },
      { kind: 'heading', text: t(`sheetHeading.${entity}`) },
      {
        kind: 'table',
        header: tableHeader,
        rows: COLUMN_SPECS[entity].map((s) => [s.header[locale], required(entity, s.key), columnText(t, entity, s.key), examples[s.key]]),
      },
    );
  }
  blocks.push(
    { kind: 'gap' },
    { kind: 'heading', text: t('values.heading') },
    { kind: 'para', text: t('values.paths', { root, example: `${example}__HR` }) },
    { kind: 'para', text: t('values.yesNo') },
    { kind: 'para', text: t('values.lists') },
    { kind: 'para', text: t('values.severalOrgs') },
    { kind: 'para', text: t('values.empty') },
    { kind: 'para', text: t('values.normalised') },
    { kind: 'para', text: t('values.apostrophe') },
    { kind: 'gap' },
    { kind: 'heading', text: t('limits.heading') },
    { kind: 'para', text: t('limits.files', { maxMb: Math.round(MAX_FILE_BYTES / (1024 * 1024)), maxRows: MAX_DATA_ROWS }) },
    { kind: 'gap' },
    { kind: 'heading', text: t('services.heading') },
  );
  const services = data.services ?? [];
  if (services.length === 0) blocks.push({ kind: 'note', text: t('services.none') });
  else
    blocks.push({
      kind: 'table',
      header: [t('services.key'), t('services.name')],
      rows: services.map((s) => [s.key, locale === 'ja' && s.nameJa ? s.nameJa : s.name]),
    });
  if (data.groups) {
    blocks.push({ kind: 'gap' }, { kind: 'heading', text: t('groups.heading') });
    const listed = data.groups.slice(0, MAX_LISTED_GROUPS);
    if (listed.length === 0) blocks.push({ kind: 'note', text: t('groups.none') });
    else blocks.push({ kind: 'list', items: listed });
    const more = Math.max(data.groupCount ?? data.groups.length, data.groups.length) - listed.length;
    if (more > 0) blocks.push({ kind: 'note', text: t('groups.more', { count: more }) });
  }
  return blocks;
}

function writeInstructionsSheet(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  locale: Locale,
  t: TemplateTranslator,
  kind: WorkbookKind,
  data: TemplateData,
  selected: boolean,
): void {
  const ws = workbook.addWorksheet(t('sheets.instructions'), {
    views: [sheetView({ showGridLines: false, tabSelected: selected, activeCell: 'A1' })],
    properties: { tabColor: { argb: 'FF4F6D8F' } },
    // Printed one page wide, as many pages tall as it takes.
    pageSetup: { orientation: 'portrait', fitToPage: true, fitToWidth: 1, fitToHeight: 0, paperSize: 9 },
  });
  const font = baseFont(locale);
  ws.columns = INSTRUCTION_WIDTHS.map((width) => ({ width, style: { font, alignment: { vertical: 'top', wrapText: true } } }));
  const total = INSTRUCTION_WIDTHS.reduce((a, b) => a + b, 0);
  const line = lineHeight(locale);
  const last = INSTRUCTION_WIDTHS.length;
  const accent = { argb: 'FF1F3B5C' };
  const rule = { bottom: { style: 'hair', color: { argb: 'FFC8D0DA' } } } as Partial<ExcelJS.Borders>;

  // The catalogue's texts are written as they are (they are ours, and a leading ' would show);
  // names that come from the tenant (services, groups) are neutralised like any exported cell.
  for (const block of instructionBlocks(locale, t, kind, data)) {
    switch (block.kind) {
      case 'gap':
        ws.addRow([]).height = line / 2;
        break;
      case 'title':
      case 'heading':
      case 'para':
      case 'note': {
        const row = ws.addRow([block.text]);
        const cell = row.getCell(1);
        cell.alignment = { vertical: 'top', wrapText: true };
        if (block.kind === 'title') cell.font = { ...font, bold: true, size: 16, color: accent };
        if (block.kind === 'heading') {
          cell.font = { ...font, bold: true, size: 12, color: accent };
          cell.border = STYLE.headerBorder;
        }
        if (block.kind === 'note') cell.font = { ...font, italic: true, color: { argb: 'FF5A6472' } };
        ws.mergeCells(row.number, 1, row.number, last);
        const size = block.kind === 'title' ? 16 / 11 : block.kind === 'heading' ? 12 / 11 : 1;
        row.height = Math.ceil(wrappedLines(block.text, total / size) * line * size + 4);
        break;
      }
      case 'table': {
        const columns = block.header.length;
        // Widths of the table's cells: the last one spans to the sheet's last column.
        const widths = INSTRUCTION_WIDTHS.slice(0, columns - 1).concat(INSTRUCTION_WIDTHS.slice(columns - 1).reduce((a, b) => a + b, 0));
        const head = ws.addRow(block.header);
        head.font = { ...font, bold: true };
        for (let c = 1; c <= last; c++) {
          const cell = head.getCell(c);
          cell.fill = STYLE.headerFill;
          cell.border = STYLE.headerBorder;
        }
        if (columns < last) ws.mergeCells(head.number, columns, head.number, last);
        head.height = line + 4;
        for (const cells of block.rows) {
          const row = ws.addRow(cells.map(neutraliseFormula));
          row.getCell(1).font = { ...font, bold: true };
          for (let c = 1; c <= last; c++) row.getCell(c).border = rule;
          if (columns < last) ws.mergeCells(row.number, columns, row.number, last);
          const lines = Math.max(...cells.map((c, i) => wrappedLines(c, widths[i] ?? 20)));
          row.height = Math.ceil(lines * line + 4);
        }
        break;
      }
      case 'list':
        for (const item of block.items) {
          const row = ws.addRow([neutraliseFormula(item)]);
          row.getCell(1).border = rule;
          ws.mergeCells(row.number, 1, row.number, 2);
          row.height = Math.ceil(wrappedLines(item, (INSTRUCTION_WIDTHS[0] ?? 24) + (INSTRUCTION_WIDTHS[1] ?? 18)) * line + 4);
        }
        break;
    }
  }
  ws.commit();
}

export function writeMarkerSheet(workbook: ExcelJS.stream.xlsx.WorkbookWriter, locale: Locale, kind: WorkbookKind): void {
  const ws = workbook.addWorksheet(MARKER_SHEET, { state: 'veryHidden' });
  for (const row of [
    ['format', MARKER_FORMAT],
    ['version', String(TEMPLATE_VERSION)],
    ['kind', kind],
    ['locale', locale],
    ['entities', ENTITIES.join(',')],
  ]) {
    ws.addRow(row).commit();
  }
  ws.commit();
}

// ---------------------------------------------------------------------------------------------

/**
 * Writes the template workbook to `output` (ended when done). With `data.rows`, the Organizations
 * and Users sheets are filled from them, batch by batch; with `kind: 'failedRows'` a Message
 * column follows the template columns (the reader ignores it).
 */
export async function writeTemplateWorkbook(output: Writable, options: TemplateOptions): Promise<void> {
  const { locale } = options;
  const data = options.data ?? {};
  const kind: WorkbookKind = data.kind ?? (data.rows ? 'export' : 'template');
  const withMessage = kind === 'failedRows';
  const t = templateTranslator(locale);
  const workbook = openWorkbook(output);
  workbook.title = t('title');

  // Tabs open on the instructions for the empty template, on the data otherwise.
  const active: Entity | null = kind === 'template' ? null : (data.activeSheet ?? 'organization');
  const tabs = [null, ...ENTITIES];
  workbook.views = [{ x: 0, y: 0, width: 24000, height: 16000, firstSheet: 0, activeTab: tabs.indexOf(active), visibility: 'visible' }];

  writeInstructionsSheet(workbook, locale, t, kind, data, active === null);
  // Sheets are written one after the other: each is a zip entry, and an entry only streams
  // once the one before it is complete.
  for (const entity of ENTITIES) {
    const ws = addDataSheet(workbook, { entity, locale, t, selected: active === entity, withMessage });
    const lastRow = await writeDataSheet(ws, entity, locale, output, data.rows?.[entity], withMessage);
    finishDataSheet(ws, entity, lastRow, t, withMessage);
  }
  writeMarkerSheet(workbook, locale, kind);
  await commitWorkbook(workbook, output);
}
