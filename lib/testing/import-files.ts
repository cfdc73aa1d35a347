import ExcelJS from 'exceljs';
import { COLUMN_SPECS, SHEET_NAMES, type ColumnKey, type Entity } from '@/lib/import/columns';

/*
 * Import files for tests, built the way an administrator fills the template: one sheet per entity
 * with the template's headers (in English or Japanese), only the columns given.
 */

export type SheetRows = Partial<Record<ColumnKey, string>>[];

function columnsOf(entity: Entity, rows: SheetRows): ColumnKey[] {
  const used = new Set(rows.flatMap((row) => Object.keys(row)));
  return COLUMN_SPECS[entity].map((spec) => spec.key).filter((key) => used.has(key));
}

/** An .xlsx with an Organizations and/or a Users sheet. */
export async function importWorkbook(sheets: Partial<Record<Entity, SheetRows>>, locale: 'en' | 'ja' = 'en'): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  for (const entity of ['organization', 'user'] as const) {
    const rows = sheets[entity];
    if (!rows) continue;
    const keys = columnsOf(entity, rows);
    const sheet = workbook.addWorksheet(SHEET_NAMES[entity][locale]);
    sheet.addRow(keys.map((key) => COLUMN_SPECS[entity].find((s) => s.key === key)!.header[locale]));
    for (const row of rows) sheet.addRow(keys.map((key) => row[key] ?? ''));
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** A UTF-8 CSV of one entity's rows. */
export function importCsv(entity: Entity, rows: SheetRows, locale: 'en' | 'ja' = 'en'): Buffer {
  const keys = columnsOf(entity, rows);
  const quote = (text: string) => (/[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  const header = keys.map((key) => quote(COLUMN_SPECS[entity].find((s) => s.key === key)!.header[locale]));
  const lines = [header.join(','), ...rows.map((row) => keys.map((key) => quote(row[key] ?? '')).join(','))];
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** `count` new users spread over `orgs` (name paths), e.g. for batches and crash tests. */
export function manyUsers(count: number, orgs: string[], domain = 'bulk.example'): SheetRows {
  return Array.from({ length: count }, (_, i) => ({
    email: `user${String(i).padStart(6, '0')}@${domain}`,
    firstName: `First${i}`,
    lastName: `Last${i}`,
    org: orgs[i % orgs.length]!,
  }));
}
