import type { Writable } from 'node:stream';
import { and, asc, count, eq, gt, sql } from 'drizzle-orm';
import type ExcelJS from 'exceljs';
import type { Db } from '@/db/client';
import { importRows, type ImportHeaders, type ImportStatus, type RowOutcome } from '@/db/schema';
import type { ImportSummary } from '@/lib/authz';
import type { Locale } from '@/lib/i18n/config';
import { storedKeyTranslator } from '@/lib/i18n/translate';
import { neutraliseFormula } from './cells';
import { appliedOutcome } from './row-outcome';
import { COLUMN_SPECS, columnHeader, ENTITIES, type ColumnKey, type Entity } from './columns';
import { loadTemplateBasics } from './export';
import {
  addEntitySheet,
  addHeaderRow,
  baseFont,
  columnLetter,
  commitWorkbook,
  openWorkbook,
  prefetch,
  sharedStyles,
  templateTranslator,
  textWidth,
  writeBatches,
  writeMarkerSheet,
  writeTemplateWorkbook,
  type TemplateRow,
} from './template';

/*
 * The results of an import as xlsx (SPEC 3.5), streamed from import_rows in keyset batches over
 * (entity, rowNumber) — the table's primary key — so 200,000 rows never sit in memory.
 *
 * - Full results: one sheet per entity the file had (`Organizations`, `Users`), the header row as
 *   uploaded plus `Result` and `Message` (in the import's locale; the Result words are
 *   `importRows.outcomes`, as the import screens will show them), each row's cells as uploaded, its
 *   outcome and message;
 *   failed rows on Excel's light red fill.
 * - `onlyFailed`: the failed rows in TEMPLATE form (template headers and order, values as the
 *   reader normalised them, the instructions, drop-downs and marker), with a Message column at the
 *   end that the reader ignores: fix, upload again.
 *
 * Outcome of a row: the applied `outcome`, else the `plannedOutcome` (a preview's file). Once the
 * apply has run (applying, completed, failed, cancelled) a row with no applied outcome was not
 * applied: its Result is empty and its Message says so — the plan is not what happened.
 *
 * Messages: `importRows.<messageKey>` of the import's locale with `messageParams`; a `column`
 * param (a ColumnKey) becomes that column's header (as uploaded, else the template's). A key the
 * catalogue lacks (or a message that fails to format) falls back to the key itself: the download
 * never fails on a message.
 */

const APPLY_PHASE: ReadonlySet<ImportStatus> = new Set(['applying', 'completed', 'failed', 'cancelled']);

export interface ResultsWorkbookOptions {
  onlyFailed?: boolean;
  /** Rows read per query. */
  batchSize?: number;
}

type RowMessageParams = Record<string, string | number>;
/** Translates row messages (`importRows.<key>`) in a locale, falling back to the key. `messages`: the locale's catalogue (tests pass their own). */
export function rowMessageTranslator(
  locale: Locale,
  messages?: Record<string, unknown>,
): (key: string | null, params: RowMessageParams | null, columnLabel: (key: ColumnKey) => string) => string {
  const t = storedKeyTranslator(locale, messages);
  return (key, params, columnLabel) => {
    if (!key) return '';
    const values: RowMessageParams = { ...(params ?? {}) };
    if (typeof values.column === 'string') values.column = columnLabel(values.column as ColumnKey);
    return t(`importRows.${key}`, values) ?? key;
  };
}

interface ResultRow {
  rowNumber: number;
  cells: string[];
  values: Partial<Record<ColumnKey, string>>;
  outcome: RowOutcome | null;
  plannedOutcome: RowOutcome | null;
  messageKey: string | null;
  messageParams: RowMessageParams | null;
}

const failed = sql`coalesce(${importRows.outcome}, ${importRows.plannedOutcome}) = 'error'`;

async function* rowBatches(db: Db, imp: ImportSummary, entity: Entity, onlyFailed: boolean, batchSize: number): AsyncGenerator<ResultRow[]> {
  let after = 0;
  for (;;) {
    const rows: ResultRow[] = await db
      .select({
        rowNumber: importRows.rowNumber,
        cells: importRows.cells,
        values: importRows.values,
        outcome: appliedOutcome(imp.appliedThroughSeq),
        plannedOutcome: importRows.plannedOutcome,
        messageKey: importRows.messageKey,
        messageParams: importRows.messageParams,
      })
      .from(importRows)
      .where(and(eq(importRows.importId, imp.id), eq(importRows.entity, entity), gt(importRows.rowNumber, after), onlyFailed ? failed : undefined))
      .orderBy(asc(importRows.rowNumber))
      .limit(batchSize);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < batchSize) return;
    after = rows[rows.length - 1]!.rowNumber;
  }
}

async function* mapBatches<A, B>(batches: AsyncIterable<A[]>, f: (a: A) => B): AsyncGenerator<B[]> {
  for await (const batch of batches) yield batch.map(f);
}

const FILE_SUFFIX = {
  en: { results: 'results', failed: 'failed-rows' },
  ja: { results: '結果', failed: '失敗した行' },
} as const;

/** "staff.xlsx" → "staff-results.xlsx", in the import's language like the workbook inside. */
export function resultsFileName(imp: Pick<ImportSummary, 'fileName' | 'locale'>, kind: 'results' | 'failed'): string {
  const base = imp.fileName.replace(/\.(xlsx|csv|xls|xlsm|txt)$/i, '') || 'import';
  return `${base}-${FILE_SUFFIX[imp.locale][kind]}.xlsx`;
}

/** Label of a column: the uploaded header when the file had it, else the template's in the locale. */
export function columnLabelFor(headers: ImportHeaders, entity: Entity, locale: Locale) {
  const sheet = headers[entity];
  return (key: ColumnKey): string => {
    const i = sheet?.columns.indexOf(key) ?? -1;
    const label = i >= 0 ? sheet?.labels[i]?.trim() : undefined;
    return label || columnHeader(entity, key, locale);
  };
}

/**
 * Writes the results workbook of an import to `output` (ended when done). `imp` is the import
 * `authorize(db, actor, 'import.view', { type: 'import', id })` loaded: no import without it.
 */
export async function writeResultsWorkbook(db: Db, imp: ImportSummary, output: Writable, options: ResultsWorkbookOptions = {}): Promise<void> {
  const onlyFailed = options.onlyFailed ?? false;
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 2000));
  const locale: Locale = imp.locale === 'en' ? 'en' : 'ja';
  const message = rowMessageTranslator(locale);
  const applied = APPLY_PHASE.has(imp.status);

  if (onlyFailed) {
    const [basics, perEntity] = await Promise.all([
      loadTemplateBasics(db, imp.tenantId),
      db
        .select({ entity: importRows.entity, n: count() })
        .from(importRows)
        .where(and(eq(importRows.importId, imp.id), failed))
        .groupBy(importRows.entity),
    ]);
    const failedRows = (entity: Entity) => {
      const label = columnLabelFor(imp.headers, entity, locale);
      return mapBatches(prefetch(rowBatches(db, imp, entity, true, batchSize)), (r): TemplateRow => ({
        values: r.values,
        message: message(r.messageKey, r.messageParams, label),
      }));
    };
    const rows = { organization: failedRows('organization'), user: failedRows('user') };
    await writeTemplateWorkbook(output, {
      locale,
      data: {
        kind: 'failedRows',
        fileName: imp.fileName,
        rootName: basics.rootName ?? undefined,
        services: basics.services,
        activeSheet: ENTITIES.find((e) => perEntity.some((p) => p.entity === e && p.n > 0)) ?? 'organization',
        rows,
      },
    });
    return;
  }

  const t = templateTranslator(locale);
  const font = baseFont(locale);
  const styles = sharedStyles(locale);
  const workbook = openWorkbook(output);
  workbook.title = imp.fileName;
  // The sheets the file had; a file refused as a whole had none: empty template-headed sheets.
  const present = ENTITIES.filter((e) => imp.headers[e]);
  const entities = present.length > 0 ? present : [...ENTITIES];

  for (const [index, entity] of entities.entries()) {
    const labels = imp.headers[entity]?.labels ?? COLUMN_SPECS[entity].map((s) => s.header[locale]);
    const width = labels.length;
    const label = columnLabelFor(imp.headers, entity, locale);
    const ws = addEntitySheet(workbook, entity, index === 0);
    const style: Partial<ExcelJS.Style> = { numFmt: '@', font };
    ws.columns = [
      ...labels.map((l) => ({ width: Math.min(40, Math.max(12, textWidth(l) + 4)), style })),
      { width: Math.max(14, textWidth(t('results.result')) + 4), style },
      { width: 70, style: { ...style, alignment: { wrapText: true, vertical: 'top' } } },
    ];
    addHeaderRow(ws, [...labels.map(neutraliseFormula), t('results.result'), t('results.message')], font).commit();

    let lastRow = 1;
    await writeBatches(output, ws, prefetch(rowBatches(db, imp, entity, false, batchSize)), (r: ResultRow) => {
      const outcome = r.outcome ?? (applied ? null : r.plannedOutcome);
      const notApplied = applied && r.outcome === null && r.plannedOutcome !== 'error';
      const cells = Array.from({ length: width }, (_, i) => neutraliseFormula(r.cells[i] ?? ''));
      const text = notApplied ? t('results.notApplied') : message(r.messageKey, r.messageParams, label);
      // A row that failed in the preview is reported as failed, applied or not.
      const shown: RowOutcome | null = outcome ?? (r.plannedOutcome === 'error' ? 'error' : null);
      const row = ws.addRow([...cells, shown ? message(`outcomes.${shown}`, null, label) : '', neutraliseFormula(text)]);
      if (shown === 'error') {
        // The whole row on the light red fill, empty cells included.
        for (let c = 1; c <= width; c++) row.getCell(c).style = styles.errorRow;
        row.getCell(width + 1).style = styles.errorResult;
        row.getCell(width + 2).style = styles.errorText;
      } else {
        row.eachCell((cell) => (cell.style = styles.text));
      }
      row.commit();
      lastRow = row.number;
    });
    ws.autoFilter = `A1:${columnLetter(width + 2)}${lastRow}`;
    ws.commit();
  }
  writeMarkerSheet(workbook, locale, 'results');
  await commitWorkbook(workbook, output);
}
