import { sql } from 'drizzle-orm';
import type { Db } from '@/db/client';

/**
 * A hash per table of every row of every table in the schema, for "a refused call changed
 * NOTHING" assertions: `const before = await dbFingerprint(db); …; expect(await dbFingerprint(db)).toEqual(before)`.
 * Whole tables, so a stray write anywhere (an email queued, a token issued, an audit event) shows,
 * and the failing assertion names the table that changed.
 */
export async function dbFingerprint(db: Db): Promise<Record<string, string>> {
  const tables = await db.execute<{ name: string }>(
    sql`select tablename as name from pg_tables where schemaname = current_schema() order by tablename`,
  );
  const hashes = await Promise.all(
    tables.map(async ({ name }) => {
      const table = sql.identifier(name);
      const [row] = await db.execute<{ h: string }>(
        sql`select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h from ${table} x`,
      );
      return [name, row?.h ?? ''] as const;
    }),
  );
  return Object.fromEntries(hashes);
}
