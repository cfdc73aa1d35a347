import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import { closeDb, createDb } from '@/db/client';
import { emailMessages } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { deliverQueuedEmails, sendEmail } from '@/lib/email/send';
import { outboxTransport, type EmailTransport } from '@/lib/email/transports';
import { startWorkers } from './index';
import { tearDownQueues } from './testing';

vi.hoisted(() => {
  process.env.QUEUE_PREFIX = `test-health-${process.pid}-${Date.now()}`;
});

let testDb: TestDatabase;

beforeAll(async () => {
  testDb = await createTestDatabase();
});

afterAll(async () => {
  await tearDownQueues();
  await testDb?.drop();
});

describe('worker health endpoint', () => {
  it('answers 200 with Redis, PostgreSQL and the queues when all answer', async () => {
    const workers = await startWorkers({ db: testDb.db, healthPort: 0, log: () => {} });
    try {
      expect(workers.healthPort).toBeGreaterThan(0);
      const res = await fetch(`http://127.0.0.1:${workers.healthPort}/health`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { ok: boolean; redis: boolean; db: boolean; queues: Record<string, { running: boolean; waiting?: number }> };
      expect(body).toMatchObject({ ok: true, redis: true, db: true });
      expect(Object.keys(body.queues).sort()).toEqual(['email', 'import', 'invitation', 'system']);
      expect(body.queues.email).toMatchObject({ running: true, waiting: 0 });

      expect((await fetch(`http://127.0.0.1:${workers.healthPort}/nope`)).status).toBe(404);
    } finally {
      await workers.close();
    }
  });

  it('answers 503 when the database does not', async () => {
    // Nothing listens on port 1: every query fails.
    const deadDb = createDb('postgres://postgres@127.0.0.1:1/none', { max: 1 });
    const workers = await startWorkers({ db: deadDb, healthPort: 0, queues: ['system'], log: () => {} });
    try {
      const res = await fetch(`http://127.0.0.1:${workers.healthPort}/health`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ ok: false, redis: true, db: false });
    } finally {
      await workers.close();
      await closeDb(deadDb);
    }
  });

  it('stops serving after close', async () => {
    const workers = await startWorkers({ db: testDb.db, healthPort: 0, queues: ['system'], log: () => {} });
    const port = workers.healthPort;
    await workers.close();
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });
});

describe('worker shutdown', () => {
  it('close() lets the running job finish first', async () => {
    let started!: () => void;
    const deliveryStarted = new Promise<void>((resolve) => (started = resolve));
    const slowOutbox: EmailTransport = {
      ...outboxTransport,
      deliver: async (email) => {
        started();
        await new Promise((resolve) => setTimeout(resolve, 700));
        return outboxTransport.deliver(email);
      },
    };
    const workers = await startWorkers({ db: testDb.db, transport: slowOutbox, queues: ['email'], log: () => {} });
    const id = await sendEmail(testDb.db, {
      to: 'slow@example.com',
      template: 'member-added',
      locale: 'en',
      props: { tenantName: 'Acme', inviterName: 'Hanako', signInUrl: 'http://localhost:3000/sign-in' },
    });
    await deliverQueuedEmails([id]);
    await deliveryStarted;
    await workers.close();
    const [row] = await testDb.db.select().from(emailMessages).where(eq(emailMessages.id, id));
    expect(row?.status).toBe('sent');
  });
});
