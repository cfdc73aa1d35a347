/*
 * File-level refusals of an import (SPEC 3.5): the file cannot be an import at all, so it is
 * refused at once and nothing changes. Row-level problems are not errors here: they are row
 * outcomes of the planner (`importRows.*`).
 *
 * The message is `importFile.errors.<key>` (lib/i18n/messages/import-file.{en,ja}.json). Params are
 * plain strings and numbers, stored as they are in `imports.errorParams`, and are complete for both
 * languages: anything that needs translating (column headers) is pre-rendered as `…En` and `…Ja`,
 * so `t(messageKey, params)` works in either locale, today or when the history page shows it later.
 */
import { DomainError } from '../errors';
import { columnHeader, type ColumnKey, type Entity } from './columns';

export const IMPORT_FILE_ERROR_KEYS = [
  'tooLarge', // { sizeMb, limitMb }
  'empty', // {}
  'notSpreadsheet', // {}: neither a workbook nor text
  'encrypted', // {}: password-protected (an OLE file that is not clearly an .xls)
  'legacyXls', // {}: Excel 97-2003 .xls
  'binaryWorkbook', // {}: .xlsb
  'corrupt', // {}: truncated or bad zip, broken XML
  'zipBomb', // { limitMb, ratio }: uncompressed size or ratio absurd
  'noKnownSheet', // {}: no sheet named as the template's, none with an import header either
  'noHeader', // { kind, sheet, entity, expectedEn, expectedJa }
  'missingColumns', // { kind, sheet, entity, columns, columnsEn, columnsJa, count }
  'duplicateColumns', // { kind, sheet, entity, columns, columnsEn, columnsJa, count }
  'duplicateSheet', // { entity, sheets }
  'tooManyColumns', // { kind, sheet, count, limit }: a header row absurdly wide
  'tooManyRows', // { limit }
  'wrongEncoding', // {}: a CSV neither UTF-8 nor Shift_JIS
  'csvAmbiguous', // {}: a CSV whose header names neither entity's columns
  'csvUnclosedQuote', // { row }
  'noRows', // {}: header rows but not one data row
] as const;
export type ImportFileErrorKey = (typeof IMPORT_FILE_ERROR_KEYS)[number];
export type ImportFileErrorParams = Record<string, string | number>;

/** A file that cannot be imported. `messageKey` is the full catalogue key (`importFile.errors.<key>`). */
export class ImportFileError extends DomainError {
  constructor(
    readonly key: ImportFileErrorKey,
    params: ImportFileErrorParams = {},
  ) {
    super('invalid_file', `importFile.errors.${key}`, params);
    this.name = 'ImportFileError';
  }
}

// ---------------------------------------------------------------------------------------------
// Pre-rendered params

/** Where a header problem is: a sheet of a workbook (by its name as uploaded) or the CSV file. */
export type HeaderSource = { kind: 'sheet'; sheet: string } | { kind: 'csv' };

function headerList(entity: Entity, keys: readonly ColumnKey[], locale: 'en' | 'ja'): string {
  const names = keys.map((key) => {
    const header = columnHeader(entity, key, locale);
    return locale === 'ja' ? `「${header}」` : `“${header}”`;
  });
  return new Intl.ListFormat(locale, { type: 'conjunction' }).format(names);
}

/** Params saying where: `kind` ('sheet' | 'csv') and the sheet's name as uploaded ('' for a CSV). */
export function sourceParams(source: HeaderSource): ImportFileErrorParams {
  return source.kind === 'csv' ? { kind: 'csv', sheet: '' } : { kind: 'sheet', sheet: source.sheet };
}

/** Params naming columns: their keys (for programs) and their headers in both languages. */
export function columnParams(source: HeaderSource, entity: Entity, keys: readonly ColumnKey[]): ImportFileErrorParams {
  return {
    ...sourceParams(source),
    entity,
    columns: keys.join(','),
    columnsEn: headerList(entity, keys, 'en'),
    columnsJa: headerList(entity, keys, 'ja'),
    count: keys.length,
  };
}

/** Params of `noHeader`: the headers the sheet should have (the required ones), in both languages. */
export function expectedHeaderParams(source: HeaderSource, entity: Entity, required: readonly ColumnKey[]): ImportFileErrorParams {
  return {
    ...sourceParams(source),
    entity,
    expectedEn: headerList(entity, required, 'en'),
    expectedJa: headerList(entity, required, 'ja'),
  };
}
