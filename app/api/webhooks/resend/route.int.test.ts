import { randomBytes, randomUUID } from 'node:crypto';
import { eq, like, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeDb } from '@/db/client';
import { emailMessages, emailWebhookEvents } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { adminScope } from '@/lib/authz';
import { latestBounce, pruneWebhookEvents, signWebhook, UNMATCHED_RETRY_MINUTES, WEBHOOK_EVENT_RETENTION_DAYS } from '@/lib/email/webhook';
import { invitationStateOf, issueInvitation, listInvitations } from '@/lib/invitations';
import { dbFingerprint } from '@/lib/testing/db-fingerprint';
import { actorFor, addMember, createTenantFixture, type TenantFixture } from '@/lib/testing/fixtures';
import { POST } from './route';

/*
 * POST /api/webhooks/resend as Next.js calls it (a Request in, a Response out), on this file's own
 * database (the route reads through getDb(), so DATABASE_URL points at it for this file). Events
 * are signed as Resend/Svix signs them; signing and verifying are unit-tested in lib/email/webhook.test.ts.
 */

let tdb: TestDatabase;
const baseUrl = process.env.DATABASE_URL;
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
let ca: TenantFixture;
let adminUserId: string;

const now = () => Math.floor(Date.now() / 1000);

/** A Resend event body as it arrives (the fields we read, and some we do not). */
function eventBody(type: string, emailId: string, extra: Record<string, unknown> = {}, createdAt = new Date()): string {
  return JSON.stringify({
    type,
    created_at: createdAt.toISOString(),
    data: { email_id: emailId, created_at: createdAt.toISOString(), from: 'Tenantry <no-reply@tenantry.local>', to: ['someone@example.com'], subject: 'Invitation', ...extra },
  });
}

/** A signed request (`sign: false` leaves the signature off; headers can be overridden to tamper). */
function request(body: string, options: { id?: string; timestamp?: number; secret?: string; sign?: boolean; headers?: Record<string, string> } = {}): Request {
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = options.timestamp ?? now();
  const headers: Record<string, string> = { 'content-type': 'application/json', 'svix-id': id, 'svix-timestamp': String(timestamp) };
  if (options.sign !== false) headers['svix-signature'] = signWebhook(options.secret ?? SECRET, id, timestamp, body);
  return new Request('http://localhost/api/webhooks/resend', { method: 'POST', body, headers: { ...headers, ...options.headers } });
}

/** A message the worker has handed to Resend (status sent, with Resend's id). */
async function sentMessage(providerId = `re_${randomUUID()}`) {
  const [row] = await tdb.db
    .insert(emailMessages)
    .values({ tenantId: ca.id, toAddress: 'someone@example.com', template: 'invitation', locale: 'en', props: {}, idempotencyKey: `test-${randomUUID()}`, status: 'sent', transport: 'resend', providerMessageId: providerId, sentAt: new Date() })
    .returning();
  return row!;
}

const statusOf = async (id: string) => (await tdb.db.select({ s: emailMessages.status }).from(emailMessages).where(eq(emailMessages.id, id)))[0]!.s;

beforeAll(async () => {
  tdb = await createTestDatabase();
  await closeDb();
  process.env.DATABASE_URL = tdb.url;
  ca = await createTenantFixture(tdb.db, { slug: 'hooks', name: 'Hooks', orgPaths: ['Hooks__Sales'] });
  adminUserId = (await addMember(tdb.db, ca, { email: 'admin@hooks.test', isTenantAdmin: true, orgs: [{ path: 'Hooks' }] })).userId;
});

afterEach(() => {
  process.env.RESEND_WEBHOOK_SECRET = SECRET;
});

afterAll(async () => {
  await closeDb();
  process.env.DATABASE_URL = baseUrl;
  delete process.env.RESEND_WEBHOOK_SECRET;
  await tdb?.drop();
});

describe('POST /api/webhooks/resend', () => {
  beforeAll(() => {
    process.env.RESEND_WEBHOOK_SECRET = SECRET;
  });

  it('accepts a correctly signed event and records the delivery on its message', async () => {
    const msg = await sentMessage();
    const id = `msg_${randomUUID()}`;
    const res = await POST(request(eventBody('email.delivered', msg.providerMessageId!), { id }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'applied' });
    expect(await statusOf(msg.id)).toBe('delivered');
    const [event] = await tdb.db.select().from(emailWebhookEvents).where(eq(emailWebhookEvents.eventId, id));
    expect(event).toMatchObject({ type: 'email.delivered', outcome: 'applied', status: 'delivered', emailMessageId: msg.id, tenantId: ca.id, providerMessageId: msg.providerMessageId });
  });

  it('refuses tampered, unsigned, wrongly keyed and stale requests with 401, changing nothing', async () => {
    const msg = await sentMessage();
    const body = eventBody('email.bounced', msg.providerMessageId!);
    const signed = request(body);
    const tampered = new Request(signed.url, { method: 'POST', headers: signed.headers, body: body.replace('email.bounced', 'email.delivered') });
    const before = await dbFingerprint(tdb.db);
    const cases: [string, Request][] = [
      ['tampered body', tampered],
      ['unsigned', request(body, { sign: false })],
      ['no id', request(body, { headers: { 'svix-id': '' } })],
      ['another secret', request(body, { secret: `whsec_${randomBytes(24).toString('base64')}` })],
      ['stale (6 minutes old)', request(body, { timestamp: now() - 6 * 60 })],
      ['from the future', request(body, { timestamp: now() + 6 * 60 })],
      ['signature of another event id', request(body, { headers: { 'svix-id': `msg_${randomUUID()}` } })],
    ];
    for (const [what, req] of cases) {
      const res = await POST(req);
      expect(res.status, what).toBe(401);
    }
    expect(await dbFingerprint(tdb.db)).toEqual(before);
    expect(await statusOf(msg.id)).toBe('sent');
  });

  it('a replayed event (same svix-id) has no second effect and answers 200 duplicate, even concurrently', async () => {
    const msg = await sentMessage();
    const id = `msg_${randomUUID()}`;
    const body = eventBody('email.delivered', msg.providerMessageId!);
    expect((await POST(request(body, { id }))).status).toBe(200);
    // The message moves on (a bounce arrives), then the first event is replayed, freshly signed.
    expect((await (await POST(request(eventBody('email.bounced', msg.providerMessageId!)))).json()).status).toBe('applied');
    const before = await dbFingerprint(tdb.db);
    const replay = await POST(request(body, { id }));
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ status: 'duplicate' });
    expect(await dbFingerprint(tdb.db)).toEqual(before);
    expect(await statusOf(msg.id)).toBe('bounced');

    // Five deliveries of one new event at once: one records it, the others are duplicates.
    const other = await sentMessage();
    const burstId = `msg_${randomUUID()}`;
    const burstBody = eventBody('email.bounced', other.providerMessageId!, { bounce: { type: 'Permanent', subType: 'General', message: 'no such user' } });
    const answers = await Promise.all(Array.from({ length: 5 }, () => POST(request(burstBody, { id: burstId })).then((r) => r.json())));
    expect(answers.map((a) => a.status).sort()).toEqual(['applied', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    expect(await tdb.db.select().from(emailWebhookEvents).where(eq(emailWebhookEvents.eventId, burstId))).toHaveLength(1);
  });

  it('moves a status only forward: a late "delivered" does not un-bounce, a bounce after delivery counts', async () => {
    const bounced = await sentMessage();
    await POST(request(eventBody('email.bounced', bounced.providerMessageId!)));
    const late = await POST(request(eventBody('email.delivered', bounced.providerMessageId!)));
    expect(await late.json()).toEqual({ status: 'unchanged' });
    expect(await statusOf(bounced.id)).toBe('bounced');

    const delivered = await sentMessage();
    await POST(request(eventBody('email.delivered', delivered.providerMessageId!)));
    await POST(request(eventBody('email.complained', delivered.providerMessageId!)));
    expect(await statusOf(delivered.id)).toBe('complained');
    expect(await (await POST(request(eventBody('email.bounced', delivered.providerMessageId!)))).json()).toEqual({ status: 'unchanged' });

    const suppressed = await sentMessage();
    await POST(request(eventBody('email.suppressed', suppressed.providerMessageId!, { suppressed: { type: 'OnAccountSuppressionList', message: 'bounced before' } })));
    expect(await statusOf(suppressed.id)).toBe('bounced');

    // Types that are not a delivery status are recorded and change nothing.
    const opened = await sentMessage();
    expect(await (await POST(request(eventBody('email.opened', opened.providerMessageId!)))).json()).toEqual({ status: 'ignored' });
    expect(await statusOf(opened.id)).toBe('sent');
  });

  it('an event for a message not known yet asks to be retried; an old one is recorded as unmatched', async () => {
    const before = await dbFingerprint(tdb.db);
    const young = await POST(request(eventBody('email.delivered', `re_${randomUUID()}`)));
    expect(young.status).toBe(503);
    expect(await dbFingerprint(tdb.db)).toEqual(before);

    const old = new Date(Date.now() - (UNMATCHED_RETRY_MINUTES + 5) * 60_000);
    const id = `msg_${randomUUID()}`;
    const res = await POST(request(eventBody('email.delivered', `re_${randomUUID()}`, {}, old), { id }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'unmatched' });
    expect((await tdb.db.select().from(emailWebhookEvents).where(eq(emailWebhookEvents.eventId, id)))[0]?.outcome).toBe('unmatched');
  });

  it('finds the message by its message_id tag when the provider id is not recorded; one still being sent is asked again later', async () => {
    const sent = await sentMessage();
    await tdb.db.update(emailMessages).set({ providerMessageId: null }).where(eq(emailMessages.id, sent.id));
    const res = await POST(request(eventBody('email.delivered', `re_${randomUUID()}`, { tags: { message_id: sent.id } })));
    expect(await res.json()).toEqual({ status: 'applied' });
    expect(await statusOf(sent.id)).toBe('delivered');

    await tdb.db.update(emailMessages).set({ status: 'queued' }).where(eq(emailMessages.id, sent.id));
    const before = await dbFingerprint(tdb.db);
    const early = await POST(request(eventBody('email.bounced', `re_${randomUUID()}`, { tags: { message_id: sent.id } })));
    expect(early.status).toBe(503);
    expect(await dbFingerprint(tdb.db)).toEqual(before);
  });

  it('answers 400 to a signed body that is not an event, 503 while no secret is configured', async () => {
    expect((await POST(request('not json'))).status).toBe(400);
    expect((await POST(request(JSON.stringify({ data: {} })))).status).toBe(400);
    delete process.env.RESEND_WEBHOOK_SECRET;
    const res = await POST(request(eventBody('email.delivered', 're_x')));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'webhook_not_configured' });
  });

  it('a bounced invitation shows as bounced on the user page and in the console, with the reason', async () => {
    const invitee = await addMember(tdb.db, ca, { email: 'bouncy@hooks.test', status: 'invited', orgs: [{ path: 'Hooks__Sales' }], firstName: 'Bo', lastName: 'Uncy' });
    const issued = await tdb.db.transaction((tx) =>
      issueInvitation(tx, { tenantId: ca.id, memberId: invitee.memberId, invitedBy: { userId: adminUserId, label: 'admin@hooks.test', name: 'Admin' }, send: true }),
    );
    // What the email worker does once Resend accepted the message.
    await tdb.db.update(emailMessages).set({ status: 'sent', transport: 'resend', providerMessageId: 're_bouncy' }).where(eq(emailMessages.id, issued.emailMessageId!));
    expect((await invitationStateOf(tdb.db, invitee.memberId)).state).toBe('pending');

    const bounce = { type: 'Permanent', subType: 'General', message: '550 5.1.1 mailbox does not exist' };
    expect((await POST(request(eventBody('email.bounced', 're_bouncy', { bounce })))).status).toBe(200);

    const state = await invitationStateOf(tdb.db, invitee.memberId);
    expect(state.state).toBe('bounced');
    expect(state.delivery).toMatchObject({ status: 'bounced', bounce: { status: 'bounced', type: 'Permanent', subType: 'General', message: bounce.message } });
    const scope = await adminScope(tdb.db, await actorFor(tdb.db, adminUserId, ca));
    const list = await listInvitations(tdb.db, scope, { state: 'bounced' });
    expect(list.rows.map((r) => r.email)).toEqual(['bouncy@hooks.test']);
    expect((await listInvitations(tdb.db, scope, { state: 'pending' })).rows.map((r) => r.email)).not.toContain('bouncy@hooks.test');
  });
});

describe('pruneWebhookEvents (the email sweep)', () => {
  it(`deletes events older than ${WEBHOOK_EVENT_RETENTION_DAYS} days, in batches, but keeps the applied bounces and complaints`, async () => {
    const now = new Date('2026-06-30T00:00:00Z');
    const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
    const message = await sentMessage();
    const event = (id: string, receivedAt: Date, status: string | null, outcome: 'applied' | 'unchanged' | 'unmatched' | 'ignored') => ({
      eventId: `prune-${id}`,
      type: status ? `email.${status}` : 'email.opened',
      emailMessageId: outcome === 'unmatched' ? null : message.id,
      tenantId: ca.id,
      outcome,
      status,
      receivedAt,
    });
    await tdb.db.insert(emailWebhookEvents).values([
      event('old-delivered', daysAgo(31), 'delivered', 'applied'),
      event('old-opened', daysAgo(40), null, 'ignored'),
      event('old-unmatched', daysAgo(31), 'delivered', 'unmatched'),
      event('old-late-bounce', daysAgo(31), 'bounced', 'unchanged'),
      event('old-bounce', daysAgo(90), 'bounced', 'applied'),
      event('old-complaint', daysAgo(91), 'complained', 'applied'),
      event('recent-delivered', daysAgo(29), 'delivered', 'applied'),
    ]);
    // More old ones than one batch deletes.
    await tdb.db.execute(sql`
      insert into email_webhook_events (event_id, type, outcome, received_at)
      select 'prune-bulk-' || g, 'email.opened', 'ignored', ${daysAgo(60).toISOString()}::timestamptz from generate_series(1, 10050) g`);

    expect(await pruneWebhookEvents(tdb.db, now)).toBe(10054);
    const left = await tdb.db.select({ id: emailWebhookEvents.eventId }).from(emailWebhookEvents).where(like(emailWebhookEvents.eventId, 'prune-%'));
    expect(left.map((r) => r.id).sort()).toEqual(['prune-old-bounce', 'prune-old-complaint', 'prune-recent-delivered']);
    // The kept bounce still explains the message's status.
    expect(await latestBounce(tdb.db, message.id)).toMatchObject({ status: 'bounced' });
    expect(await pruneWebhookEvents(tdb.db, now)).toBe(0);
  });
});
