import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { closeDb, createDb, type Database } from './client';
import { migrateDatabase } from './migrate';

/**
 * Test databases. The integration harness migrates one template database per run
 * (`prepareTemplateDatabase`, from vitest's globalSetup); every test file then gets its own
 * copy (`createTestDatabase`), which PostgreSQL clones in milliseconds.
 */
const TEMPLATE_PREFIX = 'tenantry_test_tpl_';

/**
 * The template is named after the migrations it holds, so concurrent test runs (two terminals,
 * parallel agents) share it instead of dropping it under each other's feet.
 */
function templateName(): string {
  const dir = path.join(__dirname, 'migrations');
  const hash = createHash('sha256');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()) hash.update(file).update(readFileSync(path.join(dir, file)));
  return `${TEMPLATE_PREFIX}${hash.digest('hex').slice(0, 16)}`;
}

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

/** Creates and migrates the template once per migration set; a lock makes concurrent runs wait for the first. */
export async function prepareTemplateDatabase(baseUrl: string): Promise<void> {
  const template = templateName();
  await admin(baseUrl, async (sql) => {
    await sql`select pg_advisory_lock(hashtext('tenantry_test_template'))`;
    try {
      const [ready] = await sql`select 1 from pg_database where datname = ${template} and datistemplate`;
      if (ready) return;
      await sql.unsafe(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
      await sql.unsafe(`CREATE DATABASE ${template}`);
      await migrateDatabase(withDatabase(baseUrl, template));
      // Marked only once fully migrated: a half-built template is rebuilt by the next run.
      await sql.unsafe(`ALTER DATABASE ${template} WITH IS_TEMPLATE true`);
    } finally {
      await sql`select pg_advisory_unlock(hashtext('tenantry_test_template'))`;
    }
  });
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
  await admin(baseUrl, (sql) => sql.unsafe(`CREATE DATABASE ${name} TEMPLATE ${templateName()}`));
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
