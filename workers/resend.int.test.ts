/*
 * The Resend transport end to end: the real `resend` SDK inside the real email worker (BullMQ over
 * the real Redis, the real PostgreSQL), talking to the fake Resend (lib/testing/fake-resend.ts),
 * which dedups by Idempotency-Key like Resend and records every request and every email it took.
 * "Exactly once" below always means: the fake accepted the email once (duplicates() counts
 * emails taken more than once), whatever it answered on the way.
 */
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { emailMessages } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { deliverQueuedEmails, sendEmail } from '@/lib/email/send';
import { createResendTransport } from '@/lib/email/transports';
import { startFakeResend, type FakeResend } from '@/lib/testing/fake-resend';
import { createRedisConnection, queuePrefix } from './connection';
import { sendKeyFor } from './email';
import { startWorkers, type WorkersHandle } from './index';
import { createRequestLimiter } from './rate-limit';
import { emailMessage, tearDownQueues, waitFor, waitForEmailStatus, waitForJob } from './testing';

vi.hoisted(() => {
  process.env.QUEUE_PREFIX = `test-resend-${process.pid}-${Date.now()}`;
});

/** The provider's rate in this file: the fake refuses a 6th request within any second. */
const RATE = 5;
/** Short, so the "hang" cases retry soon. */
const TIMEOUT_MS = 1_000;

let fake: FakeResend;
let testDb: TestDatabase;
let workers: WorkersHandle;

const message = (id: string) => emailMessage(testDb.db, id);
const waitForStatus = (id: string, status: 'sent' | 'failed') => waitForEmailStatus(testDb.db, id, status);
/** Waits (long enough for a few retries and their backoff) until every message of `ids` is sent. */
const waitForAllSent = (ids: string[]) =>
  waitFor(async () => (await rows(ids)).every((row) => row.status === 'sent'), { timeoutMs: 50_000, intervalMs: 100, what: 'the messages to be sent' });

/** Saves an invitation to `to` (status queued), like lib/invitations does; not enqueued yet. */
function saveInvitation(to: string, key: string) {
  return sendEmail(testDb.db, {
    to,
    template: 'invitation',
    locale: 'en',
    props: {
      tenantName: 'Acme',
      inviterName: 'Hanako Yamada',
      registrationUrl: `http://localhost:3000/register/${key}`,
      expiresAt: new Date('2030-01-15T00:00:00Z'),
    },
    idempotencyKey: key,
  });
}

async function queueInvitation(to: string, key: string) {
  const id = await saveInvitation(to, key);
  await deliverQueuedEmails([id]);
  return id;
}

/** `n` invitations to `<prefix>-<i>@example.com`, saved and then enqueued together (batch jobs above 10). */
async function queueInvitations(prefix: string, n: number) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await saveInvitation(`${prefix}-${i}@example.com`, `invitation-${prefix}-${i}`));
  await deliverQueuedEmails(ids);
  return ids;
}

async function rows(ids: string[]) {
  return testDb.db.select().from(emailMessages).where(inArray(emailMessages.id, ids));
}

/** Every message of `ids` accepted by the fake exactly once, and each row names the id the fake gave it. */
async function expectAcceptedOnce(ids: string[]) {
  const all = await rows(ids);
  expect(all).toHaveLength(ids.length);
  for (const row of all) {
    expect(row.status).toBe('sent');
    const taken = fake.accepted.filter((email) => email.tags?.some((tag) => tag.name === 'message_id' && tag.value === row.id));
    expect(taken, `${row.toAddress} accepted once`).toHaveLength(1);
    expect(row.providerMessageId).toBe(taken[0]!.id);
  }
}

beforeAll(async () => {
  fake = await startFakeResend({ rateLimit: { requests: RATE }, apiKey: 're_test_key' });
  testDb = await createTestDatabase();
  // The throttle the worker program builds from EMAIL_RATE_LIMIT_PER_SECOND (workers/index.ts), with
  // a wider margin than its 50 ms: the fake stamps arrivals on the event loop it shares with the
  // worker here, which a loaded test machine can stall.
  const throttle = createRequestLimiter(createRedisConnection('worker'), { prefix: queuePrefix(), max: RATE, windowMs: 1_300 });
  workers = await startWorkers({
    db: testDb.db,
    transport: createResendTransport({ apiKey: 're_test_key', baseUrl: fake.url, timeoutMs: TIMEOUT_MS, throttle }),
    emailRateLimitPerSecond: RATE,
    emailFrom: 'Tenantry <no-reply@tenantry.test>',
    queues: ['email'],
    log: () => {},
  });
});

afterAll(async () => {
  await workers?.close();
  await tearDownQueues();
  await testDb?.drop();
  await fake?.close();
});

describe('Resend transport against the fake Resend', () => {
  it('sends one message with its own idempotency key, records the provider id and keeps no content', async () => {
    const id = await queueInvitation('ok@example.com', 'invitation-ok-1');
    const row = await waitForStatus(id, 'sent');

    const [request, ...others] = fake.requestsTo('ok@example.com');
    expect(others).toHaveLength(0);
    expect(request!.path).toBe('/emails');
    expect(request!.idempotencyKey).toBe('invitation-ok-1');
    expect(request!.authorization).toBe('Bearer re_test_key');
    const [email] = request!.emails;
    expect(email).toMatchObject({ from: 'Tenantry <no-reply@tenantry.test>', to: ['ok@example.com'], subject: 'Hanako Yamada invited you to Acme on Tenantry' });
    expect(email!.html).toContain('href="http://localhost:3000/register/invitation-ok-1"');
    expect(email!.text).toContain('http://localhost:3000/register/invitation-ok-1');
    expect(email!.tags).toEqual([{ name: 'message_id', value: id }]);

    expect(row).toMatchObject({ transport: 'resend', attempts: 1, lastError: null, sendKey: 'invitation-ok-1' });
    expect(row.providerMessageId).toBe(fake.acceptedTo('ok@example.com')[0]!.id);
    // The provider has the content; the database keeps no live registration link.
    expect(row.html).toBeNull();
    expect(row.text).toBeNull();
    expect(row.props.registrationUrl).toBe('[redacted]');
    expect(row.props.tenantName).toBe('Acme');
  });

  it('sends many messages in one batch call under a key derived from their ids, ids matched in order', async () => {
    const ids = await queueInvitations('batch', 25);
    for (const id of ids) await waitForStatus(id, 'sent');

    const calls = fake.requests.filter((r) => r.emails.some((e) => e.to[0]!.startsWith('batch-')));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.path).toBe('/emails/batch');
    expect(calls[0]!.emails).toHaveLength(25);
    const all = await rows(ids);
    expect(calls[0]!.idempotencyKey).toBe(sendKeyFor(all));
    expect(new Set(all.map((r) => r.sendKey))).toEqual(new Set([calls[0]!.idempotencyKey]));
    await expectAcceptedOnce(ids);
  });

  it('a batch is accepted exactly once through 429 with Retry-After, 500 and a lost answer, always under the same key', async () => {
    const ids = await queueInvitations('stormy', 12);
    // Scripted for the next requests carrying stormy-0 (the batch): refused, refused, taken but never answered.
    fake.replyTo('stormy-0@example.com', { status: 429, retryAfter: 3 }, { status: 500 }, { hang: true, accept: true });
    await waitForAllSent(ids);

    const calls = fake.requestsTo('stormy-0@example.com');
    expect(calls.map((r) => r.answer)).toEqual([429, 500, 'hang', 200]);
    expect(new Set(calls.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(calls.map((r) => r.replayed)).toEqual([false, false, false, true]);
    // Retry-After: 3 was honoured, not just the first backoff (≤ 1.2 s). A lower bound: the retry
    // cannot come sooner (slack for a stalled event loop stamping the 429 late).
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(2_800);
    await expectAcceptedOnce(ids);
    expect(fake.duplicates()).toBe(0);
    const row = await message(ids[0]!);
    expect(row.attempts).toBe(4);
    expect(row.lastError).toBeNull();
  }, 60_000);

  it('a single message is accepted exactly once through 429, 500 and a timeout', async () => {
    fake.replyTo('flaky@example.com', { status: 429, retryAfter: 1 }, { status: 500 }, { hang: true });
    const id = await queueInvitation('flaky@example.com', 'invitation-flaky-1');
    await waitForAllSent([id]);
    const row = await message(id);

    const calls = fake.requestsTo('flaky@example.com');
    expect(calls.map((r) => r.answer)).toEqual([429, 500, 'hang', 200]);
    expect(calls.map((r) => r.idempotencyKey)).toEqual(Array(4).fill('invitation-flaky-1'));
    expect(calls[3]!.emails).toEqual(calls[0]!.emails);
    expect(fake.acceptedTo('flaky@example.com')).toHaveLength(1);
    expect(row.attempts).toBe(4);
    expect(row.providerMessageId).toBe(fake.acceptedTo('flaky@example.com')[0]!.id);
  }, 60_000);

  it('a retry that overtakes its still-running first request gets 409 and waits for it: accepted once', async () => {
    // Processed in 2.5 s, the client gives up after 1 s and tries again while the first still runs.
    fake.replyTo('slow@example.com', { delayMs: 2_500 });
    const id = await queueInvitation('slow@example.com', 'invitation-slow-1');
    await waitForAllSent([id]);
    const row = await message(id);

    const calls = fake.requestsTo('slow@example.com');
    expect(calls.some((r) => r.answer === 409)).toBe(true);
    expect(calls.at(-1)).toMatchObject({ answer: 200, replayed: true });
    expect(fake.acceptedTo('slow@example.com')).toHaveLength(1);
    expect(row.providerMessageId).toBe(fake.acceptedTo('slow@example.com')[0]!.id);
  });

  it('records a permanent refusal (422) on the message and does not retry it', async () => {
    fake.refuse('invalid@example.com', 'Invalid `to` field: mailbox does not exist.');
    const id = await queueInvitation('invalid@example.com', 'invitation-invalid-1');
    const row = await waitForStatus(id, 'failed');
    const job = await waitForJob('email', `email.send-${id}`);

    expect(job.state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(row.attempts).toBe(1);
    expect(row.lastError).toContain('422');
    expect(row.lastError).toContain('validation_error');
    expect(row.lastError).toContain('mailbox does not exist');
    expect(row.props.registrationUrl).toBe('[redacted]');
    // Give a wrongly scheduled retry (first backoff: 1–1.2 s) the time to show up.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(fake.requestsTo('invalid@example.com')).toHaveLength(1);
  });

  it('a batch refused for one bad address is split until that one is found: the others go once, it fails', async () => {
    fake.refuse('mixed-7@example.com');
    const ids = await queueInvitations('mixed', 12);
    const bad = ids[7]!;
    await waitForStatus(bad, 'failed');
    const good = ids.filter((id) => id !== bad);
    for (const id of good) await waitForStatus(id, 'sent');

    await expectAcceptedOnce(good);
    const failed = await message(bad);
    expect(failed.lastError).toContain('422');
    expect(fake.acceptedTo('mixed-7@example.com')).toHaveLength(0);
    // Halving 12 takes a handful of calls, not one per message; no key is ever reused for other messages.
    const calls = fake.requests.filter((r) => r.emails.some((e) => e.to[0]!.startsWith('mixed-')));
    expect(calls.length).toBeLessThanOrEqual(9);
    const keys = new Map<string, string>();
    for (const call of calls) {
      const who = call.emails.map((e) => e.to[0]).join(',');
      expect(keys.get(call.idempotencyKey!) ?? who).toBe(who);
      keys.set(call.idempotencyKey!, who);
    }
  });

  it("never exceeds the provider's rate: 20 single sends at 5 per second, none refused for the rate", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await saveInvitation(`paced-${i}@example.com`, `invitation-paced-${i}`));
    // One job per message (the interactive path), all at once.
    for (const id of ids) await deliverQueuedEmails([id]);
    for (const id of ids) await waitForStatus(id, 'sent');

    expect(fake.rateLimited()).toBe(0);
    const times = fake.requests.filter((r) => r.emails[0]?.to[0]?.startsWith('paced-')).map((r) => r.at).sort((a, b) => a - b);
    expect(times).toHaveLength(20);
    for (let i = RATE; i < times.length; i++) expect(times[i]! - times[i - RATE]!).toBeGreaterThan(1_000);
    await expectAcceptedOnce(ids);
  });

  it('a message found sent is not sent again by a later job', async () => {
    const id = await queueInvitation('once@example.com', 'invitation-once-1');
    await waitForStatus(id, 'sent');
    await deliverQueuedEmails([id]); // same job id: swallowed
    const { enqueue } = await import('./jobs');
    const again = await enqueue('email.send', { messageId: id }, { jobId: `again-${id}` });
    expect((await waitForJob('email', again)).returnvalue).toEqual({ messageId: id, outcome: 'skipped' });
    expect(fake.requestsTo('once@example.com')).toHaveLength(1);
    const [row] = await testDb.db.select().from(emailMessages).where(eq(emailMessages.id, id));
    expect(row!.attempts).toBe(1);
  });

  it('no email was ever accepted twice in this file', async () => {
    await waitFor(async () => fake.requests.every((r) => r.answer !== null), { what: 'the fake to answer everything' });
    expect(fake.duplicates()).toBe(0);
  });
});
