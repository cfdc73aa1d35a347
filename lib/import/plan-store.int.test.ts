import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { importRows, imports } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import type { Actor } from '@/lib/actor';
import { adminScope } from '@/lib/authz';
import { uploadImport } from '@/lib/imports';
import { actorFor, addMember, createTenantFixture, type TenantFixture } from '@/lib/testing/fixtures';
import { tearDownQueues } from '@/workers/testing';
import type { Operation } from './columns';
import { planImport } from './plan';
import { readImportFile, type RowEvent } from './read';
import { runPlan } from './run';
import { loadExternalUsers, loadTenantSnapshot } from './snapshot';
import { inlineRow, minimalXlsx, sheetXml } from './testing/zip-builder';

/*
 * The plan job stores import_rows through COPY as the planner decides them (lib/import/run.ts,
 * copy-rows.ts): what it stores must be exactly what the reader read and the planner planned,
 * whatever the cells hold.
 */

// Own BullMQ key space: uploads ring the planner.
vi.hoisted(() => {
  process.env.QUEUE_PREFIX = `test-import-store-${process.pid}-${Date.now()}`;
});

let tdb: TestDatabase;
let db: TestDatabase['db'];
let ca: TenantFixture;
let actor: Actor;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  ca = await createTenantFixture(db, { slug: 'ca', orgPaths: ['CA__Sales', 'CA__営業部'] });
  const admin = await addMember(db, ca, { email: 'admin@ca.example', isTenantAdmin: true, orgs: [{ path: 'CA', isAdmin: true }] });
  await addMember(db, ca, { email: 'kept@ca.example', firstName: 'Kept', lastName: 'Member', orgs: [{ path: 'CA__Sales' }] });
  actor = await actorFor(db, admin.userId, ca);
});

afterAll(async () => {
  await tearDownQueues();
  await tdb?.drop();
});

const csv = (records: string[][]) => Buffer.from(`${records.map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(',')).join('\r\n')}\r\n`, 'utf8');

async function upload(content: Buffer, fileName: string, operation: Operation = 'upsert') {
  const { importId } = await uploadImport(db, actor, { fileName, content, operation, locale: 'en' });
  return importId;
}

/** import_rows as stored, next to what the reader and the planner give for the same file. */
async function storedAndExpected(importId: string, content: Buffer, fileName: string, operation: Operation) {
  const stored = await db.select().from(importRows).where(eq(importRows.importId, importId)).orderBy(asc(importRows.entity), asc(importRows.rowNumber));
  const read: RowEvent[] = [];
  for await (const event of readImportFile(content, fileName, operation)) if (event.type === 'row') read.push(event);
  const snapshot = await loadTenantSnapshot(db, ca.id);
  const externalUsers = await loadExternalUsers(db, ca.id, read.flatMap((r) => (r.entity === 'user' && r.values.email ? [r.values.email] : [])));
  const plan = planImport({ snapshot, operation, rows: read, actor, scope: await adminScope(db, actor), externalUsers });
  const expected = read
    .map((event, i) => {
      const p = plan.rows[i]!;
      return {
        importId,
        entity: event.entity,
        rowNumber: event.rowNumber,
        seq: p.seq,
        cells: event.cells,
        values: event.values,
        plannedOutcome: p.outcome,
        changes: Object.keys(p.changes).length > 0 ? p.changes : null,
        outcome: null,
        messageKey: p.messageKey ?? null,
        messageParams: p.messageParams ?? null,
        appliedAt: null,
      };
    })
    .sort((a, b) => (a.entity === b.entity ? a.rowNumber - b.rowNumber : a.entity < b.entity ? -1 : 1));
  return { stored, expected, counts: plan.counts };
}

describe('the plan job stores what it read and planned', () => {
  it('keeps any cell text: quotes, backslashes, tabs, line breaks, braces, NULL and \\N, Japanese, emoji, formulas', async () => {
    const content = csv([
      ['Email Address', 'First Name', 'Last Name', 'Organization', 'Services', 'Groups', 'Language', 'Notes'],
      ['  ｎｅｗ＠ｃａ．ｅｘａｍｐｌｅ　', '太郎', '山田', 'CA__営業部', '', '', 'ja', 'tab\there, "quoted", back\\slash'],
      ['brace@ca.example', '{a,b}', 'NULL', 'CA__Sales', '', '', '', 'line\nbreak\r\nand \\N'],
      ['emoji@ca.example', '𠮷🍣', "'=1+1", 'CA__Sales', '', '', 'English', ''],
      ['bad@ca.example', 'Bad', 'Service', 'CA__Sales', 'no "such" \\ service', '', '', ''],
      ['kept@ca.example', 'Kept', 'Member', 'ca__sales', '', '', '', 'unchanged'],
      ['not an email', 'x', 'y', 'CA', '', '', '', ''],
      ['new@ca.example', '', '', 'CA__Nowhere\t', '', '', '', ''],
    ]);
    const id = await upload(content, 'awkward.csv');
    await runPlan(db, id);
    const [imp] = await db.select().from(imports).where(eq(imports.id, id));
    expect(imp!.status).toBe('planned');
    const { stored, expected, counts } = await storedAndExpected(id, content, 'awkward.csv', 'upsert');
    expect(stored).toEqual(expected);
    expect(imp!.totalRows).toBe(7);
    expect(imp!.plannedCounts).toEqual(counts);
    expect(counts).toMatchObject({ created: 3, unchanged: 1, error: 3 });
    // Spot checks of the stored text itself.
    const byEmail = (email: string) => stored.find((r) => r.values.email === email)!;
    expect(byEmail('new@ca.example').cells[7]).toBe('tab\there, "quoted", back\\slash');
    expect(byEmail('brace@ca.example').cells.slice(1, 3)).toEqual(['{a,b}', 'NULL']);
    expect(byEmail('brace@ca.example').cells[7]).toBe('line\nbreak\r\nand \\N');
    expect(byEmail('emoji@ca.example').values).toMatchObject({ firstName: '𠮷🍣', lastName: '=1+1' });
    expect(byEmail('bad@ca.example').messageParams).toEqual({ column: 'services', value: 'no "such" \\ service' });
  });

  it('stores a workbook of both sheets, and a delete, in apply order', async () => {
    const file = minimalXlsx({
      sheets: [
        {
          name: 'Users',
          xml: sheetXml([inlineRow(1, ['Email Address', 'Organization']), inlineRow(2, ['kept@ca.example', 'CA__Sales']), inlineRow(5, ['gone@ca.example', 'CA'])].join('')),
        },
        {
          name: 'Organizations',
          xml: sheetXml(
            [
              inlineRow(1, ['Organization Name', 'Parent Organization']),
              inlineRow(2, ['Sales', 'CA']),
              inlineRow(3, ['営業部', 'CA']),
              inlineRow(4, ['CA', '']),
            ].join(''),
          ),
        },
      ],
    });
    for (const operation of ['upsert', 'delete'] as const) {
      const id = await upload(file, 'both.xlsx', operation);
      await runPlan(db, id);
      const { stored, expected } = await storedAndExpected(id, file, 'both.xlsx', operation);
      expect(stored).toEqual(expected);
      expect(stored.map((r) => r.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    }
  });

  it('a row PostgreSQL refuses (a NUL character) stores nothing and leaves the import to be planned again', async () => {
    const bad = minimalXlsx({
      sheets: [{ name: 'Users', xml: sheetXml([inlineRow(1, ['Email Address', 'Organization', 'Notes']), inlineRow(2, ['nul@ca.example', 'CA', 'a_x0000_b'])].join('')) }],
    });
    const id = await upload(bad, 'nul.xlsx');
    await expect(runPlan(db, id)).rejects.toThrow();
    const [imp] = await db.select().from(imports).where(eq(imports.id, id));
    expect(imp!.status).toBe('planning');
    expect(await db.select().from(importRows).where(eq(importRows.importId, id))).toEqual([]);
    // Refused while the rows still stream (the bad row first of many): the same.
    const rowsXml = [inlineRow(1, ['Email Address', 'Organization', 'Notes']), inlineRow(2, ['nul2@ca.example', 'CA', 'a_x0000_b'])];
    for (let r = 3; r < 3_000; r++) rowsXml.push(inlineRow(r, [`bulk${r}@ca.example`, 'CA', 'n'.repeat(200)]));
    const early = await upload(minimalXlsx({ sheets: [{ name: 'Users', xml: sheetXml(rowsXml.join('')) }] }), 'nul-early.xlsx');
    await expect(runPlan(db, early)).rejects.toThrow();
    expect((await db.select().from(imports).where(eq(imports.id, early)))[0]!.status).toBe('planning');
    expect(await db.select().from(importRows).where(eq(importRows.importId, early))).toEqual([]);
    // No transaction left open, and the pool is fine afterwards.
    const open = await db.execute<{ n: number }>(sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`);
    expect(open[0]!.n).toBe(0);
    const good = await upload(csv([['Email Address', 'Organization'], ['after@ca.example', 'CA']]), 'after.csv');
    await runPlan(db, good);
    expect((await db.select().from(imports).where(eq(imports.id, good)))[0]!.status).toBe('planned');
  });
});
