import { prepareTemplateDatabase } from '../db/testing';

/** Migrates the template database that every integration test file clones. */
export default async function setup(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run the integration tests through `npm test`');
  if (!process.env.REDIS_URL) throw new Error('REDIS_URL is not set: run the integration tests through `npm test`');
  await prepareTemplateDatabase(url);
}
