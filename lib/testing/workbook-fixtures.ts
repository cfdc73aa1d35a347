import { PassThrough, Readable, type Writable } from 'node:stream';
import ExcelJS from 'exceljs';
// exceljs's own zip library (a dependency of exceljs): tests read the raw XML with it.
import JSZip from 'jszip';

/*
 * Reading back the workbooks the import writes, in tests only. `loadWorkbook` parses the whole
 * file with exceljs (cell values, notes, styles, views) and is for SMALL files: it expands every
 * data validation range to one entry per cell (the template's Y/N drop-downs cover 200,000 rows,
 * about a second). `readSheetsStreaming` uses exceljs's streaming WorkbookReader for rows of large
 * files (an independent reader: the product reads uploads with lib/import/read.ts). `sheetXml` gives the raw XML of a sheet for what neither exposes as
 * written (a validation's exact range).
 */

/** Runs a writer into memory and returns the bytes. */
export async function collect(write: (output: Writable) => Promise<void>): Promise<Buffer> {
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    output.on('end', resolve);
    output.on('error', reject);
  });
  await write(output);
  await ended;
  return Buffer.concat(chunks);
}

export async function loadWorkbook(buffer: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  return workbook;
}

/** Every sheet's rows as text (1-based row numbers → cell texts), read with the streaming reader. */
export async function readSheetsStreaming(buffer: Buffer): Promise<Map<string, string[][]>> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from(buffer), {
    worksheets: 'emit',
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'ignore',
    entries: 'ignore',
  });
  const names = await sheetNamesByFile(buffer);
  const sheets = new Map<string, string[][]>();
  for await (const worksheet of reader) {
    const ws = worksheet as unknown as AsyncIterable<ExcelJS.Row> & { name: string; id: string | number };
    const rows: string[][] = [];
    for await (const row of ws) {
      const values = Array.isArray(row.values) ? row.values.slice(1) : [];
      rows.push(values.map((v) => (v === null || v === undefined ? '' : String(v))));
    }
    // The reader names a sheet only when it has parsed xl/workbook.xml before reaching the sheet;
    // the streaming writer's zip order varies, so otherwise it says `Sheet<n>`: use workbook.xml.
    const name = ws.name === `Sheet${ws.id}` ? (names.get(`sheet${ws.id}.xml`) ?? ws.name) : ws.name;
    sheets.set(name, rows);
  }
  return sheets;
}

/** Each sheet's part in the zip by its name (`Users` → `worksheets/sheet2.xml`), from workbook.xml and its rels. */
async function sheetTargets(zip: JSZip): Promise<Map<string, string>> {
  const workbook = (await zip.file('xl/workbook.xml')?.async('string')) ?? '';
  const rels = (await zip.file('xl/_rels/workbook.xml.rels')?.async('string')) ?? '';
  const targets = new Map<string, string>();
  for (const [, name, rid] of workbook.matchAll(/<sheet [^>]*name="([^"]*)"[^>]*r:id="(rId\d+)"/g)) {
    const target = new RegExp(`Id="${rid}"[^>]*Target="([^"]+)"`).exec(rels)?.[1];
    if (target) targets.set(name!, target);
  }
  return targets;
}

/** Sheet names by their part's file name (`sheet2.xml` → `Users`). */
async function sheetNamesByFile(buffer: Buffer): Promise<Map<string, string>> {
  const targets = await sheetTargets(await JSZip.loadAsync(buffer));
  return new Map([...targets].map(([name, target]) => [target.split('/').pop()!, name]));
}

/** The raw XML of a sheet by its name (and the workbook's XML as `workbook`). */
export async function sheetXml(buffer: Buffer, name: string): Promise<string> {
  const zip = await JSZip.loadAsync(buffer);
  if (name === 'workbook') return (await zip.file('xl/workbook.xml')?.async('string')) ?? '';
  const target = (await sheetTargets(zip)).get(name);
  if (!target) throw new Error(`no sheet '${name}'`);
  return (await zip.file(`xl/${target}`)?.async('string')) ?? '';
}

/** A row's texts from a loaded sheet (1-based row number), trailing empties dropped. */
export function rowTexts(ws: ExcelJS.Worksheet, n: number): string[] {
  const values = ws.getRow(n).values;
  const list = Array.isArray(values) ? values.slice(1) : [];
  const texts = Array.from(list, (v) => (v === null || v === undefined ? '' : String(v)));
  while (texts.length > 0 && texts[texts.length - 1] === '') texts.pop();
  return texts;
}
