import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { arr, bools } from './bulk-sql';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase();
});
afterAll(async () => {
  await tdb?.drop();
});

describe('array parameters (arr, bools)', () => {
  it('reach PostgreSQL element for element, whatever the text holds', async () => {
    const texts = ['plain', '', 'NULL', 'null', 'with "quotes"', 'back\\slash', '\\"', 'a,b', '{braces}', ' spaced ', 'tab\there', 'line\nbreak', '山田 太郎', '😀', null, "it's"];
    // Element by element on the server (the client's parser of text[] results turns NULL into 'NULL').
    const rows = await tdb.db.execute<{ v: string | null; i: number }>(sql`select v, i::int from unnest(${arr(texts)}::text[]) with ordinality as t(v, i) order by i`);
    expect(rows.map((r) => r.v)).toEqual(texts);
  });

  it('keeps every element, whether all are plain strings or not, one or many', async () => {
    const cases: (string | null)[][] = [['solo'], ['NULL', '', 'x y'], [null], ['a', null], ['"'], ['plain', 'back\\slash', 'plain too']];
    for (const texts of cases) {
      const rows = await tdb.db.execute<{ v: string | null }>(sql`select v from unnest(${arr(texts)}::text[]) with ordinality as t(v, i) order by i`);
      expect(rows.map((r) => r.v)).toEqual(texts);
    }
  });

  it('carries uuids, numbers and booleans', async () => {
    const ids = ['019a0000-0000-7000-8000-000000000001', null, '00000000-0000-4000-8000-0000000000ff'];
    const uuids = await tdb.db.execute<{ u: string | null }>(sql`select u::text from unnest(${arr(ids)}::uuid[]) with ordinality as t(u, i) order by i`);
    expect(uuids.map((r) => r.u)).toEqual(ids);
    const [row] = await tdb.db.execute<{ n: number[]; b: boolean[]; empty: number }>(
      sql`select ${arr([1, -2, 30000])}::int[] as n, ${bools([true, false, true])} as b, cardinality(${arr([])}::text[]) as empty`,
    );
    expect(row).toEqual({ n: [1, -2, 30000], b: [true, false, true], empty: 0 });
  });
});
