import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransactionRollbackError } from 'drizzle-orm/errors';
import { executePrepared } from '@/db/client';
import { createTestDatabase, type TestDatabase } from '@/db/testing';

/* executePrepared: drizzle's queries, run as prepared statements on the same connection. */

let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase();
  await tdb.db.execute(sql`create table prepared_probe (id int primary key, label text not null)`);
});

afterAll(async () => {
  await tdb?.drop();
});

const insertProbe = (id: number, label: string) => sql`insert into prepared_probe (id, label) values (${id}, ${label}) returning id, label`;

describe('executePrepared', () => {
  it('runs in the caller’s transaction: seen inside it, gone when it rolls back', async () => {
    let inside: unknown;
    await tdb.db
      .transaction(async (tx) => {
        await executePrepared(tx, insertProbe(1, 'first'));
        inside = (await tx.execute<{ n: number }>(sql`select count(*)::int as n from prepared_probe`))[0];
        tx.rollback();
      })
      .catch((err: Error) => (err instanceof TransactionRollbackError ? undefined : Promise.reject(err)));
    expect(inside).toEqual({ n: 1 });
    expect((await tdb.db.execute(sql`select count(*)::int as n from prepared_probe`))[0]).toEqual({ n: 0 });
  });

  it('returns the rows, and the statement is prepared on the connection (once, whatever the values)', async () => {
    const result = await tdb.db.transaction(async (tx) => {
      const first = await executePrepared<{ id: number; label: string }>(tx, insertProbe(10, 'ten'));
      const second = await Promise.all([executePrepared<{ id: number }>(tx, insertProbe(11, 'eleven')), executePrepared<{ id: number }>(tx, insertProbe(12, 'twelve'))]);
      const prepared = await tx.execute<{ n: number }>(sql`select count(*)::int as n from pg_prepared_statements where statement like 'insert into prepared_probe%'`);
      return { first, second: second.map((rows) => rows[0]!.id), prepared: prepared[0]!.n };
    });
    expect(result).toEqual({ first: [{ id: 10, label: 'ten' }], second: [11, 12], prepared: 1 });
  });

  it('reports a refused statement as drizzle does (the database error as cause), without the parameters', async () => {
    await executePrepared(tdb.db, insertProbe(20, 'private value'));
    const err = await executePrepared(tdb.db, insertProbe(20, 'private value')).then(
      () => null,
      (e: Error & { cause?: { code?: string; constraint_name?: string } }) => e,
    );
    expect({ code: err?.cause?.code, constraint: err?.cause?.constraint_name }).toEqual({ code: '23505', constraint: 'prepared_probe_pkey' });
    expect(err?.message).toContain('insert into prepared_probe');
    expect(err?.message).not.toContain('private value');
  });
});
