/*
 * The outbox transport (no RESEND_API_KEY), as the worker picks it from the environment: single
 * and batch sends store the rendered HTML and text for /dev/mailbox, through the same claim-and-
 * send path as Resend (one "request" per message, under its own key).
 */
import { inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { emailMessages } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { getMailboxMessage, mailboxReaderOf } from '@/lib/email/mailbox';
import { deliverQueuedEmails, sendEmail } from '@/lib/email/send';
import { createOperator } from '@/lib/testing/fixtures';
import { startWorkers, type WorkersHandle } from './index';
import { tearDownQueues, waitForEmailStatus } from './testing';

vi.hoisted(() => {
  process.env.QUEUE_PREFIX = `test-email-outbox-${process.pid}-${Date.now()}`;
  delete process.env.RESEND_API_KEY;
});

let testDb: TestDatabase;
let workers: WorkersHandle;

const invitation = (to: string, token: string, locale: 'en' | 'ja' = 'en') =>
  sendEmail(testDb.db, {
    to,
    template: 'invitation',
    locale,
    props: { tenantName: 'Acme', inviterName: 'Hanako Yamada', registrationUrl: `http://localhost:3000/register/${token}`, expiresAt: new Date('2030-01-15T00:00:00Z') },
    idempotencyKey: `invitation-${token}`,
  });

beforeAll(async () => {
  testDb = await createTestDatabase();
  // No transport given: the worker chooses from the environment, like the program does.
  workers = await startWorkers({ db: testDb.db, queues: ['email'], log: () => {} });
});

afterAll(async () => {
  await workers?.close();
  await tearDownQueues();
  await testDb?.drop();
});

describe('outbox transport (no RESEND_API_KEY)', () => {
  it('stores the rendered HTML and text of a single send, readable in /dev/mailbox', async () => {
    const id = await invitation('solo@example.com', 'tok-solo');
    await deliverQueuedEmails([id]);
    const row = await waitForEmailStatus(testDb.db, id, 'sent');

    expect(row).toMatchObject({ transport: 'outbox', attempts: 1, lastError: null, providerMessageId: null, sendKey: 'invitation-tok-solo' });
    expect(row.subject).toBe('Hanako Yamada invited you to Acme on Tenantry');
    expect(row.html).toContain('href="http://localhost:3000/register/tok-solo"');
    expect(row.text).toContain('http://localhost:3000/register/tok-solo');
    // The outbox is the mailbox: nothing is redacted.
    expect(row.props.registrationUrl).toBe('http://localhost:3000/register/tok-solo');

    const operator = await createOperator(testDb.db, { email: 'op@platform.test' });
    const reader = await mailboxReaderOf(testDb.db, { userId: operator, email: 'op@platform.test', isPlatformOperator: true });
    const shown = await getMailboxMessage(testDb.db, reader, id);
    expect(shown?.html).toBe(row.html);
    expect(shown?.text).toBe(row.text);
  });

  it('stores every message of a batch job, each with its own content', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await invitation(`many-${i}@example.com`, `tok-many-${i}`, i % 2 ? 'en' : 'ja'));
    await deliverQueuedEmails(ids);
    for (const id of ids) await waitForEmailStatus(testDb.db, id, 'sent');

    const rows = await testDb.db.select().from(emailMessages).where(inArray(emailMessages.id, ids));
    expect(new Set(rows.map((r) => r.sendKey)).size).toBe(1);
    expect(rows[0]!.sendKey).toMatch(/^batch-[0-9a-f]{40}$/);
    for (const row of rows) {
      const token = row.idempotencyKey.replace('invitation-', '');
      expect(row.transport).toBe('outbox');
      expect(row.html).toContain(`href="http://localhost:3000/register/${token}"`);
      expect(row.text).toContain(`http://localhost:3000/register/${token}`);
    }
    expect(rows.find((r) => r.locale === 'ja')!.text).toContain('2030年1月15日');
  });
});
