/*
 * Exactly once across a crash: the real worker program (`tsx workers/index.ts`, as `npm run worker`
 * runs it, with RESEND_API_KEY and RESEND_BASE_URL pointing at the fake Resend) is killed with
 * SIGKILL while the provider holds a batch it has already accepted but not answered yet — the
 * worst moment: the emails are out, our database does not know. A new worker takes the stalled
 * job over, repeats the very request (same Idempotency-Key, same messages) and the provider's
 * dedup answers it with the first answer. Every message ends up accepted exactly once.
 */
import type { ChildProcess } from 'node:child_process';
import { count, eq, inArray } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { emailMessages } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { deliverQueuedEmails } from '@/lib/email/send';
import { startFakeResend, type FakeResend } from '@/lib/testing/fake-resend';
import { spawnWorkerProgram, tearDownQueues, waitFor } from './testing';

vi.hoisted(() => {
  process.env.QUEUE_PREFIX = `test-resend-crash-${process.pid}-${Date.now()}`;
});

const MESSAGES = 600;
const RATE = 20;
/** The message whose batch the provider takes and then never answers: the kill lands there. */
const HUNG = 250;

let tdb: TestDatabase;
let fake: FakeResend;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  tdb = await createTestDatabase();
  fake = await startFakeResend({ rateLimit: { requests: RATE }, apiKey: 're_crash_key' });
});

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

afterAll(async () => {
  await tearDownQueues();
  await tdb?.drop();
  await fake?.close();
});

/** The worker program on this file's database, queue prefix and fake Resend. */
function startWorker(): ChildProcess {
  const child = spawnWorkerProgram({
    DATABASE_URL: tdb.url,
    RESEND_API_KEY: 're_crash_key',
    RESEND_BASE_URL: fake.url,
    RESEND_TIMEOUT_MS: '3000',
    EMAIL_RATE_LIMIT_PER_SECOND: String(RATE),
  });
  children.add(child);
  return child;
}

/** Queued invitations as an import writes them (one INSERT, status queued, an idempotency key each). */
async function queueInvitations(n: number): Promise<string[]> {
  const rows = await tdb.db
    .insert(emailMessages)
    .values(
      Array.from({ length: n }, (_, i) => ({
        toAddress: `crash-${i}@example.com`,
        template: 'invitation',
        locale: i % 3 === 0 ? ('ja' as const) : ('en' as const),
        props: {
          tenantName: 'Acme',
          inviterName: 'Hanako Yamada',
          registrationUrl: `http://localhost:3000/register/crash-token-${i}`,
          expiresAt: '2030-01-15T00:00:00.000Z',
        },
        idempotencyKey: `invitation-crash-${i}`,
      })),
    )
    .returning({ id: emailMessages.id });
  return rows.map((r) => r.id);
}

describe('a worker killed with SIGKILL in the middle of a batch', () => {
  it('is replaced by one that repeats the request under the same key: every message accepted exactly once', async () => {
    const ids = await queueInvitations(MESSAGES);
    fake.replyTo(`crash-${HUNG}@example.com`, { hang: true, accept: true });
    await deliverQueuedEmails(ids);

    const first = startWorker();
    const hung = await waitFor(async () => fake.requestsTo(`crash-${HUNG}@example.com`).find((r) => r.answer === 'hang'), {
      timeoutMs: 60_000,
      intervalMs: 10,
      what: 'the provider to take the batch and hold its answer',
    });
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));

    // The provider took those emails; our database does not know it yet.
    const hungIds = (await tdb.db.select({ id: emailMessages.id, status: emailMessages.status }).from(emailMessages).where(eq(emailMessages.sendKey, hung.idempotencyKey!)));
    expect(hungIds.length).toBeGreaterThan(1);
    expect(hungIds.every((r) => r.status === 'queued')).toBe(true);
    expect(fake.acceptedTo(`crash-${HUNG}@example.com`)).toHaveLength(1);
    const [sentAtKill] = await tdb.db.select({ n: count() }).from(emailMessages).where(eq(emailMessages.status, 'sent'));
    const requestsAtKill = fake.requests.length;
    console.log(`resend crash test: killed with ${sentAtKill!.n} of ${MESSAGES} marked sent, ${fake.accepted.length} accepted by the provider in ${requestsAtKill} requests`);

    const restarted = Date.now();
    startWorker();
    await waitFor(
      async () => {
        const [row] = await tdb.db.select({ n: count() }).from(emailMessages).where(eq(emailMessages.status, 'sent'));
        return row!.n === MESSAGES;
      },
      { timeoutMs: 90_000, intervalMs: 200, what: 'every message sent after the restart' },
    );
    const after = fake.requests.slice(requestsAtKill);
    console.log(
      `resend crash test: the next worker finished ${((Date.now() - restarted) / 1000).toFixed(1)} s after it started, in ${after.length} requests ` +
        `(${after.filter((r) => r.replayed).length} repeats answered from the provider's memory)`,
    );

    // Exactly once: each message accepted by the provider once, and the row names that very email.
    expect(fake.duplicates()).toBe(0);
    const rows = await tdb.db.select().from(emailMessages).where(inArray(emailMessages.id, ids));
    const byTag = new Map(fake.accepted.map((email) => [email.tags?.find((t) => t.name === 'message_id')?.value, email]));
    expect(fake.accepted).toHaveLength(MESSAGES);
    for (const row of rows) {
      expect(row.status).toBe('sent');
      expect(row.providerMessageId).toBe(byTag.get(row.id)?.id);
    }
    // The held batch was repeated under its key and answered from the provider's memory.
    const repeats = fake.requests.filter((r) => r.idempotencyKey === hung.idempotencyKey);
    expect(repeats.length).toBeGreaterThanOrEqual(2);
    expect(repeats.at(-1)).toMatchObject({ answer: 200, replayed: true });
    expect(new Set(repeats.map((r) => JSON.stringify(r.emails))).size).toBe(1);
  }, 180_000);
});
