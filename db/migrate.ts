import path from 'node:path';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { closeDb, createDb } from './client';

/** Applies the committed drizzle-kit migrations. Used by `npm run db:migrate`, start and tests. */
export async function migrateDatabase(url: string): Promise<void> {
  const db = createDb(url, { max: 1 });
  try {
    await migrate(db, { migrationsFolder: path.join(__dirname, 'migrations') });
  } finally {
    await closeDb(db);
  }
}

if (require.main === module) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('db:migrate: DATABASE_URL is not set');
    process.exit(1);
  }
  migrateDatabase(url)
    .then(() => console.log('db:migrate: database is up to date'))
    .catch((err: unknown) => {
      console.error(`db:migrate: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    });
}
