import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { deliverQueuedEmails, sendEmail } from '@/lib/email/send';
import { createResendTransport } from '@/lib/email/transports';
import { startWorkers, type WorkersHandle } from './index';
import { emailMessage, tearDownQueues, waitForEmailStatus, waitForJob } from './testing';

vi.hoisted(() => {
  process.env.QUEUE_PREFIX = `test-resend-${process.pid}-${Date.now()}`;
});

/** A stand-in for api.resend.com: records requests, answers from a per-recipient script. */
interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: { from: string; to: string | string[]; subject: string; html: string; text: string };
}
interface ScriptedResponse {
  status: number;
  body: unknown;
}

const requests: RecordedRequest[] = [];
const scripts = new Map<string, ScriptedResponse[]>();
let server: Server;
let testDb: TestDatabase;
let workers: WorkersHandle;

function requestsTo(address: string) {
  return requests.filter((r) => r.body.to === address || (Array.isArray(r.body.to) && r.body.to.includes(address)));
}

const message = (id: string) => emailMessage(testDb.db, id);
const waitForStatus = (id: string, status: 'sent' | 'failed') => waitForEmailStatus(testDb.db, id, status);

async function queueInvitation(to: string, key: string) {
  const id = await sendEmail(testDb.db, {
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
  await deliverQueuedEmails([id]);
  return id;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedRequest['body'];
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const to = Array.isArray(body.to) ? body.to[0] : body.to;
      const next = (to ? scripts.get(to)?.shift() : undefined) ?? { status: 200, body: { id: `re_${requests.length}` } };
      res.writeHead(next.status, { 'content-type': 'application/json' }).end(JSON.stringify(next.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  testDb = await createTestDatabase();
  workers = await startWorkers({
    db: testDb.db,
    transport: createResendTransport({ apiKey: 're_test_key', baseUrl: `http://127.0.0.1:${port}` }),
    emailFrom: 'Tenantry <no-reply@tenantry.test>',
    queues: ['email'],
    log: () => {},
  });
});

afterAll(async () => {
  await workers?.close();
  await tearDownQueues();
  await testDb?.drop();
  await new Promise((resolve) => server?.close(resolve));
});

describe('Resend transport against a local fake API', () => {
  it('posts the rendered message with the idempotency key and keeps no content', async () => {
    const id = await queueInvitation('ok@example.com', 'invitation-ok-1');
    const row = await waitForStatus(id, 'sent');

    const [request, ...others] = requestsTo('ok@example.com');
    expect(others).toHaveLength(0);
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('/emails');
    expect(request!.headers['idempotency-key']).toBe('invitation-ok-1');
    expect(request!.headers.authorization).toBe('Bearer re_test_key');
    expect(request!.body).toMatchObject({
      from: 'Tenantry <no-reply@tenantry.test>',
      to: 'ok@example.com',
      subject: 'Hanako Yamada invited you to Acme on Tenantry',
    });
    expect(request!.body.html).toContain('href="http://localhost:3000/register/invitation-ok-1"');
    expect(request!.body.text).toContain('http://localhost:3000/register/invitation-ok-1');

    expect(row.transport).toBe('resend');
    expect(row.providerMessageId).toMatch(/^re_\d+$/);
    expect(row.attempts).toBe(1);
    // The provider has the content; the database keeps no live registration link.
    expect(row.html).toBeNull();
    expect(row.text).toBeNull();
    expect(row.props.registrationUrl).toBe('[redacted]');
    expect(row.props.tenantName).toBe('Acme');
  });

  it('marks a 422 as failed without retrying', async () => {
    scripts.set('invalid@example.com', [
      { status: 422, body: { statusCode: 422, name: 'validation_error', message: 'Invalid `to` field.' } },
    ]);
    const id = await queueInvitation('invalid@example.com', 'invitation-invalid-1');
    const row = await waitForStatus(id, 'failed');
    const job = await waitForJob('email', `email.send-${id}`);

    expect(job.state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(row.attempts).toBe(1);
    expect(row.lastError).toContain('422');
    expect(row.lastError).toContain('validation_error');
    expect(row.props.registrationUrl).toBe('[redacted]');
    // Give a wrongly scheduled retry (first backoff: 1 s) the time to show up.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(requestsTo('invalid@example.com')).toHaveLength(1);
  });

  it('retries a 500 and succeeds with the same idempotency key', async () => {
    scripts.set('flaky@example.com', [
      { status: 500, body: { statusCode: 500, name: 'internal_server_error', message: 'Something broke' } },
    ]);
    const id = await queueInvitation('flaky@example.com', 'invitation-flaky-1');
    const row = await waitForStatus(id, 'sent');

    const attempts = requestsTo('flaky@example.com');
    expect(attempts).toHaveLength(2);
    expect(attempts.map((r) => r.headers['idempotency-key'])).toEqual(['invitation-flaky-1', 'invitation-flaky-1']);
    expect(attempts[1]!.body).toEqual(attempts[0]!.body);
    expect(row.attempts).toBe(2);
    expect(row.lastError).toBeNull();
    expect(row.providerMessageId).toMatch(/^re_\d+$/);
  });

  it('retries a 429 too', async () => {
    scripts.set('limited@example.com', [
      { status: 429, body: { statusCode: 429, name: 'rate_limit_exceeded', message: 'Too many requests' } },
    ]);
    const id = await queueInvitation('limited@example.com', 'invitation-limited-1');
    await waitForStatus(id, 'sent');
    expect(requestsTo('limited@example.com')).toHaveLength(2);
  });
});
