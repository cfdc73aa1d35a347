/*
 * Takes one import file through what an upload and the planner do, in its own process, and prints
 * one JSON line: `{"rows": n, "entities": {...}, "error": null, "planned": n, ...}` when the file
 * is read (inspectImportFile, the upload's own check) and planned (planImport against a small
 * tenant, as the import.plan job does after reading it again), `"error": "<key>"` when refused
 * with an ImportFileError, `{"crash": "..."}` (exit 1) for anything else. Then, for a workbook,
 * it also streams EVERY row of EVERY sheet through the sheet parser (`sheetRows`, `sheetErrors`),
 * since a file the import refuses early (no known sheet) would otherwise leave most of its XML
 * unread by the test.
 * Used by wild-spreadsheets.int.test.ts (a hang or crash must not take a worker down with it).
 *   node --import tsx lib/import/testing/read-file-cli.ts FILE [upsert|delete]
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Operation } from '../columns';
import { buildSnapshot, planActor } from '../../testing/import-plan-fixtures';
import { ImportFileError } from '../errors';
import { planImport, type ImportRowInput } from '../plan';
import { readImportFile } from '../read';
import { readDateStyles, readSharedStrings, readWorkbookInfo, sheetRows } from '../xlsx';
import { looksLikeZip, ZipArchive } from '../zip';

/** Every row of every sheet: how many, and the file-level errors met on the way (by key). */
async function allSheetRows(input: Buffer): Promise<{ sheetRows: number; sheetErrors: string[] }> {
  let count = 0;
  const errors: string[] = [];
  const attempt = async (what: () => Promise<void>) => {
    try {
      await what();
    } catch (err) {
      if (!(err instanceof ImportFileError)) throw err;
      errors.push(err.key);
    }
  };
  await attempt(async () => {
    const zip = ZipArchive.open(input);
    const found = await readWorkbookInfo(zip);
    if ('missing' in found) return;
    const { info } = found;
    let sharedStrings: string[] = [];
    let dateStyles: Awaited<ReturnType<typeof readDateStyles>> = [];
    await attempt(async () => void (sharedStrings = info.sharedStrings ? await readSharedStrings(zip, info.sharedStrings) : []));
    await attempt(async () => void (dateStyles = info.styles ? await readDateStyles(zip, info.styles) : []));
    for (const sheet of info.sheets) {
      if (!sheet.entry) continue;
      const entry = sheet.entry;
      await attempt(async () => {
        for await (const _ of sheetRows(zip, entry, { sharedStrings, dateStyles, date1904: info.date1904 })) count++;
      });
    }
  });
  return { sheetRows: count, sheetErrors: errors };
}

async function main() {
  const [file, op = 'upsert'] = process.argv.slice(2);
  if (!file) throw new Error('usage: read-file-cli FILE [upsert|delete]');
  const started = performance.now();
  const input = readFileSync(file);
  const entities: Record<string, number> = {};
  const rowInputs: ImportRowInput[] = [];
  let rows = 0;
  let error: string | null = null;
  let planned: number | null = null;
  try {
    for await (const event of readImportFile(input, basename(file), op as Operation)) {
      if (event.type === 'sheet') entities[event.entity] ??= 0;
      else {
        rows++;
        entities[event.entity] = (entities[event.entity] ?? 0) + 1;
        rowInputs.push({ entity: event.entity, rowNumber: event.rowNumber, values: event.values });
      }
    }
    // The upload refuses a file without data rows (lib/imports inspectImportFile).
    if (rows === 0) throw new ImportFileError('noRows');
    const snapshot = buildSnapshot({ root: 'CA', orgs: ['CA__Sales'] });
    planned = planImport({ snapshot, operation: op as Operation, rows: rowInputs, actor: planActor({ kind: 'tenant', tenantId: snapshot.tenantId }), scope: { kind: 'tenant', tenantId: snapshot.tenantId } }).rows.length;
  } catch (err) {
    if (!(err instanceof ImportFileError)) throw err;
    error = err.key;
  }
  const raw = looksLikeZip(input) ? await allSheetRows(input) : null;
  const ms = Math.round(performance.now() - started);
  const rssMb = Math.round(process.memoryUsage().rss / 1024 / 1024);
  process.stdout.write(`${JSON.stringify({ rows, entities, error, planned, ...raw, ms, rssMb })}\n`);
}

main().catch((err: unknown) => {
  process.stdout.write(`${JSON.stringify({ crash: err instanceof Error ? `${err.name}: ${err.message}` : String(err) })}\n`);
  process.exitCode = 1;
});
