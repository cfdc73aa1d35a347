/*
 * import_rows as COPY text (PostgreSQL's `copy … from stdin` text format), for the plan job
 * (lib/import/run.ts runPlan): it streams each row as the planner decides it, a few KB at a time,
 * so neither the plan of the whole file nor multi-MB JSON statements are ever in memory.
 *
 * The columns hold exactly what the earlier jsonb_to_recordset inserts stored: cells as text[],
 * values, changes and message params as jsonb (JSON.stringify, parsed by PostgreSQL), null for no
 * changes, message or params.
 *
 * Why COPY rather than INSERTs of JSON chunks: a chunk's text lives until its statement is sent,
 * long enough for V8 to move it to the old generation, which only a full collection empties; the
 * plan job's heap then grew by ≈1.5 KB a row (150 MB for 100,000 rows) between collections. COPY
 * pieces are written as soon as they are made.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type postgres from 'postgres';
import type { ImportRowInput, PlannedRow } from './plan';

/** The columns of a line, in order. */
export const IMPORT_ROW_COPY_COLUMNS = 'import_id, entity, row_number, seq, cells, values, planned_outcome, changes, message_key, message_params';

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A field of COPY text: backslash, tab, line feed and carriage return escaped. */
export function copyField(text: string): string {
  return COPY_SPECIAL.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : text;
}

/** A text[] literal: every element quoted, `"` and `\` escaped (so NULL, braces, commas and spaces are text). */
export function pgTextArray(items: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    out += `${i > 0 ? ',' : ''}"${item.includes('"') || item.includes('\\') ? item.replace(/["\\]/g, '\\$&') : item}"`;
  }
  return `${out}}`;
}

const ARRAY_OR_COPY_SPECIAL = /["\\\t\n\r]/;

/** copyField(pgTextArray(items)), in one pass for the usual items that need nothing escaped. */
export function copyTextArray(items: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (ARRAY_OR_COPY_SPECIAL.test(item)) return copyField(pgTextArray(items));
    out += i > 0 ? `,"${item}"` : `"${item}"`;
  }
  return `${out}}`;
}

const NULL = '\\N';

/** A value as JSON in COPY text: JSON.stringify writes control characters as escapes, so only its backslashes need doubling. */
function json(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes('\\') ? text.replace(/\\/g, '\\\\') : text;
}

/** One import_rows line (with its line feed) for IMPORT_ROW_COPY_COLUMNS. */
export function importRowLine(importId: string, cells: readonly string[], values: ImportRowInput['values'], planned: PlannedRow): string {
  const changes = Object.keys(planned.changes).length > 0 ? json(planned.changes) : NULL;
  const messageKey = planned.messageKey !== undefined ? copyField(planned.messageKey) : NULL;
  const messageParams = planned.messageParams !== undefined ? json(planned.messageParams) : NULL;
  return `${importId}\t${planned.entity}\t${planned.rowNumber}\t${planned.seq}\t${copyTextArray(cells)}\t${json(values)}\t${planned.outcome}\t${changes}\t${messageKey}\t${messageParams}\n`;
}

/**
 * Runs `copy … from stdin` with the text `source` yields, on a connection of postgres.js (in a
 * transaction: a failure rolls it back), pulling the next piece only once the last is written.
 *
 * When PostgreSQL refuses the data after the last piece (a NUL character, an out-of-range value,
 * any error raised at the end of the COPY), postgres.js 3.4 leaves the stream unsettled forever and
 * passes the error only to the query's reject, which it settled long before
 * (porsager/postgres#1173): the transaction would hang open, holding the import's row lock. So the
 * error is also taken from there. (Refusals during the stream destroy it, and end it here too.)
 */
export async function copyFrom(sql: postgres.Sql | postgres.TransactionSql, statement: string, source: AsyncIterable<string>): Promise<void> {
  const query = sql.unsafe(statement) as unknown as postgres.PendingQuery<postgres.Row[]> & { reject?: (err: unknown) => void };
  const refused = new Promise<never>((_, reject) => {
    const settle = query.reject;
    if (typeof settle !== 'function') return; // another postgres.js: its streams must settle themselves
    query.reject = (err: unknown) => {
      reject(err);
      settle(err);
    };
  });
  refused.catch(() => {}); // raced below; unsettled when the COPY succeeds
  const copy = await query.writable();
  await Promise.race([pipeline(Readable.from(source, { highWaterMark: 1 }), copy), refused]);
}
