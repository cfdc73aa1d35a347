import postgres from 'postgres';
import { migrateDatabase } from '@/db/migrate';

/* What every benchmark needs: the services' database URL and a fresh, migrated database of its own. */

export const withDatabase = (url: string, name: string) => Object.assign(new URL(url), { pathname: `/${name}` }).toString();
export const log = (msg: string) => console.log(`bench: ${msg}`);

/** DATABASE_URL, or the project's own PostgreSQL (started when it is not running). */
export async function baseUrl(): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  // services.mjs is plain JS (no types); a computed specifier keeps the type checker out of it.
  const servicesModule = '../services.mjs';
  const { ensureServices } = (await import(servicesModule)) as { ensureServices: () => Promise<{ DATABASE_URL: string }> };
  return (await ensureServices()).DATABASE_URL;
}

/** Drops and recreates database `name` next to `url`'s, migrates it, and returns its URL. */
export async function recreateDatabase(url: string, name: string): Promise<string> {
  const admin = postgres(withDatabase(url, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const benchUrl = withDatabase(url, name);
  await migrateDatabase(benchUrl);
  return benchUrl;
}

/** p50, p95 and max (ms) of a measured operation over n runs. */
export interface Stat {
  name: string;
  p50: number;
  p95: number;
  max: number;
  n: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The figures of a set of timings (ms). */
export function stat(name: string, times: number[]): Stat {
  const sorted = [...times].sort((a, b) => a - b);
  return { name, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1)!, n: sorted.length };
}
