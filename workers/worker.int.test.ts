import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { emailMessages } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { deliverQueuedEmails, requeueQueuedEmails, sendEmail } from '@/lib/email/send';
import { outboxTransport, type EmailTransport, type OutgoingEmail } from '@/lib/email/transports';
import { enqueue, getQueue, InvalidJobPayloadError } from './jobs';
import { startWorkers, type WorkersHandle } from './index';
import { emailMessage, tearDownQueues, waitForEmailStatus, waitForJob } from './testing';

// Own BullMQ key space for this file: set before anything reads the environment.
vi.hoisted(() => {
  process.env.QUEUE_PREFIX = `test-worker-${process.pid}-${Date.now()}`;
  delete process.env.RESEND_API_KEY;
});

let testDb: TestDatabase;
let workers: WorkersHandle;
// The outbox transport, counting what it delivers: "sent once" must mean delivered once.
const delivered: OutgoingEmail[] = [];
const countingOutbox: EmailTransport = {
  ...outboxTransport,
  deliver: async (email) => {
    delivered.push(email);
    return outboxTransport.deliver(email);
  },
};

const invitationProps = (token: string) => ({
  tenantName: 'Acme',
  inviterName: 'Hanako Yamada',
  registrationUrl: `http://localhost:3000/register/${token}`,
  expiresAt: new Date('2030-01-15T00:00:00Z'),
});

const message = (id: string) => emailMessage(testDb.db, id);
const waitForStatus = (id: string, status: 'sent' | 'failed') => waitForEmailStatus(testDb.db, id, status);

beforeAll(async () => {
  testDb = await createTestDatabase();
  workers = await startWorkers({ db: testDb.db, transport: countingOutbox, emailFrom: 'Tenantry <t@test.local>', log: () => {} });
});

afterAll(async () => {
  await workers?.close();
  await tearDownQueues();
  await testDb?.drop();
});

describe('worker over real Redis', () => {
  it('turns a queued invitation into a sent outbox message with the rendered link', async () => {
    const id = await sendEmail(testDb.db, {
      to: 'mika@example.com',
      template: 'invitation',
      locale: 'ja',
      props: invitationProps('tok-render-1'),
      idempotencyKey: 'invitation-render-1',
    });
    expect((await message(id)).status).toBe('queued');

    const jobId = await enqueue('email.send', { messageId: id });
    expect(jobId).toBe(`email.send-${id}`);

    const row = await waitForStatus(id, 'sent');
    expect(row.transport).toBe('outbox');
    expect(row.attempts).toBe(1);
    expect(row.sentAt).toBeInstanceOf(Date);
    expect(row.lastError).toBeNull();
    expect(row.subject).toContain('Acme');
    expect(row.html).toContain('href="http://localhost:3000/register/tok-render-1"');
    expect(row.text).toContain('http://localhost:3000/register/tok-render-1');
    expect(row.text).toContain('2030年1月15日');
    expect(delivered.filter((e) => e.to === 'mika@example.com')).toHaveLength(1);
    expect(delivered.find((e) => e.to === 'mika@example.com')?.idempotencyKey).toBe('invitation-render-1');
  });

  it('delivers a message once however often it is enqueued', async () => {
    const id = await sendEmail(testDb.db, {
      to: 'twice@example.com',
      template: 'password-reset',
      locale: 'en',
      props: { resetUrl: 'http://localhost:3000/reset/tok-twice', expiresAt: new Date('2030-01-01T00:00:00Z') },
    });
    const [first, second] = await Promise.all([
      enqueue('email.send', { messageId: id }),
      enqueue('email.send', { messageId: id }),
    ]);
    expect(second).toBe(first);
    await waitForStatus(id, 'sent');
    await waitForJob('email', first);

    // Even a second job under another id (e.g. after the first was removed) must not send again.
    const again = await enqueue('email.send', { messageId: id }, { jobId: `manual-again-${id}` });
    const result = await waitForJob('email', again);
    expect(result.state).toBe('completed');
    expect(result.returnvalue).toEqual({ messageId: id, outcome: 'skipped' });

    expect(delivered.filter((e) => e.to === 'twice@example.com')).toHaveLength(1);
    expect((await message(id)).attempts).toBe(1);
  });

  it('saving the same idempotency key twice keeps one message', async () => {
    const input = {
      to: 'same@example.com',
      template: 'member-added' as const,
      locale: 'en' as const,
      props: { tenantName: 'Acme', inviterName: 'Hanako', signInUrl: 'http://localhost:3000/sign-in' },
      idempotencyKey: 'member-added-same-1',
    };
    const a = await sendEmail(testDb.db, input);
    const b = await sendEmail(testDb.db, input);
    expect(b).toBe(a);
  });

  it('rejects a bad payload at enqueue, before anything reaches Redis', async () => {
    const queue = await getQueue('email');
    const before = await queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
    await expect(enqueue('email.send', { messageId: 'not-a-uuid' })).rejects.toBeInstanceOf(InvalidJobPayloadError);
    await expect(enqueue('email.send-batch', { messageIds: [] })).rejects.toBeInstanceOf(InvalidJobPayloadError);
    expect(await queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed')).toEqual(before);
  });

  it('rejects bad props when the email is saved', async () => {
    await expect(
      sendEmail(testDb.db, {
        to: 'bad@example.com',
        template: 'invitation',
        locale: 'en',
        props: { ...invitationProps('x'), registrationUrl: 'not a url' },
      }),
    ).rejects.toThrow();
    await expect(
      sendEmail(testDb.db, { to: 'not-an-address', template: 'invitation', locale: 'en', props: invitationProps('x') }),
    ).rejects.toThrow();
  });

  it('fails a message that cannot be rendered at once, without retries', async () => {
    // Written around sendEmail's validation, as an old deployment or a manual edit could.
    const [row] = await testDb.db
      .insert(emailMessages)
      .values({ toAddress: 'broken@example.com', template: 'invitation', locale: 'en', props: { tenantName: 'Acme' }, idempotencyKey: 'broken-1' })
      .returning({ id: emailMessages.id });
    const id = row!.id;
    const jobId = await enqueue('email.send', { messageId: id });
    const failed = await waitForStatus(id, 'failed');
    expect(failed.attempts).toBe(1);
    expect(failed.lastError).toMatch(/cannot render invitation/);
    const job = await waitForJob('email', jobId);
    expect(job.state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(delivered.some((e) => e.to === 'broken@example.com')).toBe(false);
  });

  it('sends many messages through batch jobs', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      ids.push(
        await sendEmail(testDb.db, {
          to: `batch${i}@example.com`,
          template: 'invitation',
          locale: i % 2 ? 'en' : 'ja',
          props: invitationProps(`tok-batch-${i}`),
          idempotencyKey: `invitation-batch-${i}`,
        }),
      );
    }
    await deliverQueuedEmails(ids);
    const batchJobs = (await (await getQueue('email')).getJobs(['waiting', 'active', 'completed'])).filter(
      (job) => job.name === 'email.send-batch',
    );
    expect(batchJobs.length).toBeGreaterThanOrEqual(1);
    for (const id of ids) await waitForStatus(id, 'sent');
    const batchDeliveries = delivered.filter((e) => e.to.startsWith('batch'));
    expect(batchDeliveries).toHaveLength(25);
    expect(new Set(batchDeliveries.map((e) => e.to)).size).toBe(25);
  });

  it('picks up messages whose enqueue never happened', async () => {
    const id = await sendEmail(testDb.db, {
      to: 'forgotten@example.com',
      template: 'invitation',
      locale: 'en',
      props: invitationProps('tok-forgotten'),
    });
    expect(await requeueQueuedEmails(testDb.db, { olderThanMs: 0 })).toBeGreaterThanOrEqual(1);
    await waitForStatus(id, 'sent');
  });

  it('answers system.ping', async () => {
    const jobId = await enqueue('system.ping', { id: `ping-${Date.now()}` });
    const result = await waitForJob('system', jobId);
    expect(result.state).toBe('completed');
    expect(result.returnvalue).toMatchObject({ pong: true });
  });
});
