import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { closeDb, createDb, type Database } from './client';
import { migrateDatabase } from './migrate';

/**
 * Test databases. The integration harness migrates one template database per run
 * (`prepareTemplateDatabase`, from vitest's globalSetup); every test file then gets its own
 * copy (`createTestDatabase`), which PostgreSQL clones in milliseconds.
 */
export const TEMPLATE_DB = 'tenantry_test_template';

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(withDatabase(url, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export async function prepareTemplateDatabase(baseUrl: string): Promise<void> {
  await admin(baseUrl, async (sql) => {
    await sql.unsafe(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
    await sql.unsafe(`CREATE DATABASE ${TEMPLATE_DB}`);
  });
  await migrateDatabase(withDatabase(baseUrl, TEMPLATE_DB));
}

export interface TestDatabase {
  db: Database;
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(baseUrl = process.env.DATABASE_URL): Promise<TestDatabase> {
  if (!baseUrl) throw new Error('DATABASE_URL is not set: run the tests through `npm test`');
  const name = `tenantry_test_${randomBytes(6).toString('hex')}`;
  await admin(baseUrl, (sql) => sql.unsafe(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`));
  const url = withDatabase(baseUrl, name);
  const db = createDb(url, { max: 5 });
  return {
    db,
    url,
    name,
    async drop() {
      await closeDb(db);
      await admin(baseUrl, (sql) => sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
