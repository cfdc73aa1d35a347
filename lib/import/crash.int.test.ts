/*
 * Crash safety of an import's apply (SPEC 3.5, issue 5 point 8), with the real worker program
 * (`tsx workers/index.ts`) in child processes over the real PostgreSQL and Redis:
 * - kill -9 in the middle of an apply, start a worker again: the import resumes (BullMQ hands the
 *   stalled job to the new worker) and finishes with exact counts; no row applied twice.
 * - the same, with Redis losing every job meanwhile (a restart without persistence): the new
 *   worker's sweep rings the import from the database and it finishes all the same.
 */
import type { ChildProcess } from 'node:child_process';
import { and, count, eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditEvents, emailMessages, importRows, imports, tenantMembers, users } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import type { Actor } from '@/lib/actor';
import { requestApply, uploadImport } from '@/lib/imports';
import { actorFor, addMember, createTenantFixture, type TenantFixture } from '@/lib/testing/fixtures';
import { importCsv, manyUsers } from '@/lib/testing/import-files';
import { getQueue, QUEUE_NAMES } from '@/workers/jobs';
import { spawnWorkerProgram, tearDownQueues, waitFor } from '@/workers/testing';
import { isApplied } from './row-outcome';

vi.hoisted(() => {
  process.env.QUEUE_PREFIX = `test-import-crash-${process.pid}-${Date.now()}`;
});

const ROWS = 1_500;
/** Small batches so the apply is long enough to be killed in the middle. */
const BATCH_ROWS = 25;

let tdb: TestDatabase;
let db: TestDatabase['db'];
let ca: TenantFixture;
let actor: Actor;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  ca = await createTenantFixture(db, { slug: 'ca', orgPaths: ['CA__India', 'CA__US'] });
  const admin = await addMember(db, ca, { email: 'admin@ca.example', isTenantAdmin: true, orgs: [{ path: 'CA', isAdmin: true }] });
  actor = await actorFor(db, admin.userId, ca);
}, 60_000);

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

afterAll(async () => {
  await tearDownQueues();
  await tdb?.drop();
});

/** The worker program, as `npm run worker` starts it, on this file's database and queue prefix. */
function startWorker(): ChildProcess {
  // No RESEND_API_KEY: emails go to the outbox table.
  const child = spawnWorkerProgram({ DATABASE_URL: tdb.url, IMPORT_BATCH_ROWS: String(BATCH_ROWS), RESEND_API_KEY: undefined });
  children.add(child);
  return child;
}

async function importState(id: string) {
  const [row] = await db.select().from(imports).where(eq(imports.id, id));
  return row!;
}

async function plannedImport(domain: string): Promise<string> {
  const { importId } = await uploadImport(db, actor, {
    fileName: `${domain}.csv`,
    content: importCsv('user', manyUsers(ROWS, ['CA__India', 'CA__US'], domain)),
    operation: 'upsert',
    locale: 'en',
  });
  return importId;
}

/** Kills the worker with SIGKILL once the apply is part-way, and returns the rows it had applied. */
async function killMidApply(worker: ChildProcess, id: string): Promise<number> {
  const processed = await waitFor(
    async () => {
      const row = await importState(id);
      return row.status === 'applying' && row.processedRows >= BATCH_ROWS * 4 ? row.processedRows : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 20, what: 'the apply to be under way' },
  );
  worker.kill('SIGKILL');
  await new Promise((resolve) => worker.once('exit', resolve));
  return processed;
}

async function expectExactlyApplied(id: string, domain: string): Promise<void> {
  const row = await importState(id);
  expect(row).toMatchObject({ status: 'completed', processedRows: ROWS, totalRows: ROWS });
  expect(row.counts).toMatchObject({ created: ROWS, error: 0 });
  const [people] = await db
    .select({ n: count() })
    .from(tenantMembers)
    .innerJoin(users, eq(users.id, tenantMembers.userId))
    .where(and(eq(tenantMembers.tenantId, ca.id), sql`${users.email} like ${`%@${domain}`}`));
  expect(people!.n).toBe(ROWS);
  const [creations] = await db.select({ n: count() }).from(auditEvents).where(and(eq(auditEvents.importId, id), eq(auditEvents.action, 'member.create')));
  expect(creations!.n).toBe(ROWS);
  // The invitations are issued by the worker's invitation.import job once the apply is done.
  await waitFor(async () => (await db.select({ at: imports.invitationsIssuedAt }).from(imports).where(eq(imports.id, id)))[0]?.at != null, {
    timeoutMs: 30_000,
    what: 'the invitations of the import',
  });
  const [invitations] = await db.select({ n: count() }).from(emailMessages).where(sql`${emailMessages.toAddress} like ${`%@${domain}`}`);
  expect(invitations!.n).toBe(ROWS);
  const [imp] = await db.select({ through: imports.appliedThroughSeq }).from(imports).where(eq(imports.id, id));
  const [unapplied] = await db.select({ n: count() }).from(importRows).where(and(eq(importRows.importId, id), sql`not ${isApplied(imp!.through)}`));
  expect(unapplied!.n).toBe(0);
}

describe('an apply killed with SIGKILL', () => {
  it('resumes in the next worker and finishes with exact counts, no row applied twice', async () => {
    const id = await plannedImport('crash.example');
    const first = startWorker();
    await waitFor(async () => (await importState(id)).status === 'planned', { timeoutMs: 60_000, what: 'the plan' });
    await requestApply(db, actor, id);
    const atKill = await killMidApply(first, id);
    expect(atKill).toBeLessThan(ROWS);
    expect((await importState(id)).status).toBe('applying');

    const restarted = Date.now();
    startWorker();
    await waitFor(async () => (await importState(id)).status === 'completed', { timeoutMs: 90_000, intervalMs: 200, what: 'the resumed apply' });
    console.log(`crash test: killed at ${atKill} of ${ROWS} rows; the next worker finished the import ${((Date.now() - restarted) / 1000).toFixed(1)} s after it started`);
    await expectExactlyApplied(id, 'crash.example');
  }, 180_000);

  it('finishes too when Redis lost every job meanwhile (restart without persistence)', async () => {
    const id = await plannedImport('lost.example');
    const first = startWorker();
    await waitFor(async () => (await importState(id)).status === 'planned', { timeoutMs: 60_000, what: 'the plan' });
    await requestApply(db, actor, id);
    await killMidApply(first, id);
    // What a Redis restart without persistence leaves: nothing of this file's queues.
    for (const name of QUEUE_NAMES) await (await getQueue(name)).obliterate({ force: true });

    startWorker();
    await waitFor(async () => (await importState(id)).status === 'completed', { timeoutMs: 90_000, intervalMs: 200, what: 'the apply rung by the sweep' });
    await expectExactlyApplied(id, 'lost.example');
  }, 180_000);
});
