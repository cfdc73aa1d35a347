import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { PgTransaction } from 'drizzle-orm/pg-core';
import type { PostgresJsQueryResultHKT } from 'drizzle-orm/postgres-js';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import postgres from 'postgres';
import * as schema from './schema';

export type Schema = typeof schema;
export type Database = PostgresJsDatabase<Schema> & { $client: postgres.Sql };
export type Transaction = PgTransaction<PostgresJsQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Every domain function takes this first: the pool or an open transaction. */
export type Db = Database | Transaction;

/** Opens a pool. Callers own it; most code uses `getDb()`. */
export function createDb(url: string, options: { max?: number } = {}): Database {
  const client = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: { application_name: 'tenantry' },
  });
  return drizzle(client, { schema }) as Database;
}

// One pool per process, kept on globalThis so Next.js dev reloads do not leak connections.
const globalForDb = globalThis as unknown as { tenantryDb?: Database };

export function getDb(): Database {
  if (!globalForDb.tenantryDb) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set');
    globalForDb.tenantryDb = createDb(url);
  }
  return globalForDb.tenantryDb;
}

export async function closeDb(db?: Database): Promise<void> {
  const target = db ?? globalForDb.tenantryDb;
  if (!target) return;
  await target.$client.end({ timeout: 5 });
  if (!db || db === globalForDb.tenantryDb) globalForDb.tenantryDb = undefined;
}
