import { createHmac, timingSafeEqual } from 'node:crypto';
import { and, desc, eq, inArray, isNotNull, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '@/db/client';
import { emailMessages, emailWebhookEvents, type EmailStatus, type WebhookEventOutcome } from '@/db/schema';
import { isUuid } from '@/lib/validation';

/*
 * Delivery-status webhooks from Resend (POST /api/webhooks/resend). Resend signs them with Svix
 * (the Standard Webhooks scheme):
 *
 *   svix-id:        the event's id, the same on every retry of that event
 *   svix-timestamp: seconds since the epoch, when this attempt was signed
 *   svix-signature: space-separated "v1,<base64 HMAC-SHA256>" entries (several while a secret rotates)
 *   signed content: `${svix-id}.${svix-timestamp}.${raw body}`, keyed with the base64 part of the
 *                   secret `whsec_<base64>` (RESEND_WEBHOOK_SECRET)
 *
 * ★ Rules (documented for whoever configures the endpoint):
 * - Unsigned, wrongly signed (tampered body, other secret) or stale (timestamp more than 5 minutes
 *   from our clock, either way) requests are refused with 401 and change nothing. Without a
 *   configured secret nothing is accepted (503, so Svix keeps the events until it is set).
 * - A replayed event (an id seen before) changes nothing and answers 200 `{"status":"duplicate"}`:
 *   Svix treats any 2xx as delivered, so it stops retrying one we already recorded (the Standard
 *   Webhooks advice for receivers), while a replay by someone else has no effect.
 * - The message is found by the provider's id (`data.email_id`), else by our own id, which every
 *   message carries as the tag `message_id`.
 * - An event for a message we do not know yet (its send may not have committed) answers 503 for
 *   UNMATCHED_RETRY_MINUTES after the provider created the email, so Svix retries it later; after
 *   that it is recorded as unmatched (mail sent by another system on the same account).
 * - A message's status only moves forward: queued/sent → delivered → complained or bounced. A late
 *   `delivered` after `bounced` changes nothing (recorded as `unchanged`); a bounce after
 *   `delivered` (the receiving server gave up later) does count.
 */

/** Signatures older or newer than this are refused (replays of an old capture, skewed clocks). */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;
/** How long after the provider created an email an event for it that we cannot match yet is retried. */
export const UNMATCHED_RETRY_MINUTES = 15;
/** Bodies above this are refused unread (Resend's events are a few kilobytes). */
export const MAX_WEBHOOK_BYTES = 256 * 1024;

export interface WebhookHeaders {
  id: string | null;
  timestamp: string | null;
  signature: string | null;
}

export type SignatureProblem = 'missing_headers' | 'bad_timestamp' | 'stale' | 'bad_signature';

/** The HMAC key of a `whsec_…` secret (the base64 after the prefix; a bare base64 secret as is). */
function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

function sign(key: Buffer, id: string, timestamp: string, payload: string): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.${payload}`, 'utf8').digest();
}

/** The `svix-signature` value for a payload (tests, and tools that replay events to a dev server). */
export function signWebhook(secret: string, id: string, timestamp: number | string, payload: string): string {
  return `v1,${sign(secretKey(secret), id, String(timestamp), payload).toString('base64')}`;
}

/**
 * Checks a webhook's signature over the raw body and its timestamp against `nowSeconds`; returns
 * null when it is authentic and fresh, else what is wrong. Signatures are compared in constant time.
 */
export function verifyWebhookSignature(
  secret: string,
  headers: WebhookHeaders,
  payload: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): SignatureProblem | null {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return 'missing_headers';
  if (!/^\d{1,12}$/.test(timestamp)) return 'bad_timestamp';
  if (Math.abs(nowSeconds - Number(timestamp)) > WEBHOOK_TOLERANCE_SECONDS) return 'stale';
  const expected = sign(secretKey(secret), id, timestamp, payload);
  let match = false;
  for (const entry of signature.split(' ')) {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const given = Buffer.from(value, 'base64');
    // Lengths are public (always 32 bytes); only equal-length buffers can be compared in constant time.
    if (given.length === expected.length && timingSafeEqual(given, expected)) match = true;
  }
  return match ? null : 'bad_signature';
}

// ---------------------------------------------------------------------------------------------
// Recording

const zText = z.string().max(2_000);
/** The parts of a Resend event we use; anything else in it is ignored (new fields never break this). */
const zEvent = z.object({
  type: z.string().min(1).max(100),
  created_at: z.string().max(100).optional(),
  data: z
    .object({
      email_id: z.string().min(1).max(200).optional(),
      // Our own id rides along as the tag `message_id` (lib/email/transports): an object in events,
      // an array of {name, value} in the sending API; both are read.
      tags: z.union([z.record(z.string(), z.unknown()), z.array(z.object({ name: z.string(), value: z.unknown() }))]).optional(),
      created_at: z.string().max(100).optional(),
      bounce: z.object({ type: zText.optional(), subType: zText.optional(), message: zText.optional() }).partial().optional(),
      suppressed: z.object({ type: zText.optional(), message: zText.optional() }).partial().optional(),
    })
    .loose()
    .optional(),
});

/** The delivery status an event type stands for; types not listed (sent, opened, clicked, …) change nothing. */
const STATUS_OF: Record<string, EmailStatus> = {
  'email.delivered': 'delivered',
  'email.bounced': 'bounced',
  'email.complained': 'complained',
  // Not sent because the address is on the suppression list (it bounced or complained before): for
  // the admin the same as a bounce, nobody will receive it.
  'email.suppressed': 'bounced',
};

/** How far along a message is; an event moves it only to a higher rank. */
const RANK: Record<EmailStatus, number> = { queued: 0, sent: 1, failed: 1, delivered: 2, complained: 3, bounced: 3 };

/** Whether an event of status `next` moves a message that is `current` (pure; the rules above). */
export function advancesStatus(current: EmailStatus, next: EmailStatus): boolean {
  return RANK[next] > RANK[current];
}

export type WebhookResult =
  | { kind: 'recorded'; outcome: WebhookEventOutcome; status: EmailStatus | null; emailMessageId: string | null }
  | { kind: 'duplicate' }
  /** Not matched yet and recent: answer so that the sender retries later; nothing was recorded. */
  | { kind: 'retry_later' }
  | { kind: 'invalid_payload' };

/** Our email_messages id from an event's tags, when it is one. */
function ourMessageId(tags: Record<string, unknown> | { name: string; value: unknown }[] | undefined): string | null {
  const value = Array.isArray(tags) ? tags.find((t) => t.name === 'message_id')?.value : tags?.message_id;
  return typeof value === 'string' && isUuid(value) ? value : null;
}

function parseDate(value: string | undefined): Date | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * Records one verified event (call after `verifyWebhookSignature`): in one transaction, with the
 * message row locked, the event is stored under its id and the message's status moved when the
 * event advances it. An id seen before changes nothing ('duplicate'), concurrent deliveries included.
 */
export async function recordWebhookEvent(db: Db, eventId: string, payload: string, now: Date = new Date()): Promise<WebhookResult> {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    return { kind: 'invalid_payload' };
  }
  const parsed = zEvent.safeParse(json);
  if (!parsed.success) return { kind: 'invalid_payload' };
  const event = parsed.data;
  const providerMessageId = event.data?.email_id ?? null;
  const ownId = ourMessageId(event.data?.tags);
  const target = STATUS_OF[event.type] ?? null;
  const occurredAt = parseDate(event.created_at) ?? parseDate(event.data?.created_at);
  const detail = event.data?.bounce ?? event.data?.suppressed ?? null;

  return db.transaction(async (tx) => {
    const [seen] = await tx.select({ id: emailWebhookEvents.eventId }).from(emailWebhookEvents).where(eq(emailWebhookEvents.eventId, eventId));
    if (seen) return { kind: 'duplicate' } as const;

    // Locked: concurrent events for one message (delivered and bounced together) apply one after the other.
    // By the provider's id; else by our id in the tags (the provider's id not recorded yet).
    const lookup = (where: SQL) =>
      tx.select({ id: emailMessages.id, status: emailMessages.status, tenantId: emailMessages.tenantId }).from(emailMessages).where(where).limit(1).for('update');
    let [message] = target && providerMessageId ? await lookup(eq(emailMessages.providerMessageId, providerMessageId)) : [];
    if (target && !message && ownId) {
      [message] = await lookup(eq(emailMessages.id, ownId));
      // Still being marked sent by the worker (whose update would follow ours): ask for this event again later.
      if (message?.status === 'queued') return { kind: 'retry_later' } as const;
    }

    let outcome: WebhookEventOutcome;
    if (!target) outcome = 'ignored';
    else if (!message) {
      const created = parseDate(event.data?.created_at) ?? occurredAt;
      const young = created !== null && now.getTime() - created.getTime() < UNMATCHED_RETRY_MINUTES * 60_000;
      if (young) return { kind: 'retry_later' } as const;
      outcome = 'unmatched';
    } else outcome = advancesStatus(message.status, target) ? 'applied' : 'unchanged';

    // A concurrent delivery of the same event may have inserted it meanwhile: then this one is the duplicate.
    const inserted = await tx
      .insert(emailWebhookEvents)
      .values({
        eventId,
        type: event.type,
        providerMessageId,
        emailMessageId: message?.id ?? null,
        tenantId: message?.tenantId ?? null,
        outcome,
        status: target,
        detail: detail && Object.keys(detail).length > 0 ? (detail as Record<string, string>) : null,
        occurredAt,
      })
      .onConflictDoNothing({ target: emailWebhookEvents.eventId })
      .returning({ id: emailWebhookEvents.eventId });
    if (inserted.length === 0) return { kind: 'duplicate' } as const;

    if (outcome === 'applied' && message && target) {
      await tx.update(emailMessages).set({ status: target }).where(eq(emailMessages.id, message.id));
    }
    return { kind: 'recorded', outcome, status: target, emailMessageId: message?.id ?? null } as const;
  });
}

export interface BounceInfo {
  status: 'bounced' | 'complained';
  at: Date;
  /** The provider's words: bounce type and sub-type, and the receiving server's message. */
  type: string | null;
  subType: string | null;
  message: string | null;
}

/** The bounce or complaint that set a message's status (the latest applied), or null. */
export async function latestBounce(db: Db, emailMessageId: string): Promise<BounceInfo | null> {
  const [row] = await db
    .select({ status: emailWebhookEvents.status, detail: emailWebhookEvents.detail, occurredAt: emailWebhookEvents.occurredAt, receivedAt: emailWebhookEvents.receivedAt })
    .from(emailWebhookEvents)
    .where(
      and(
        eq(emailWebhookEvents.emailMessageId, emailMessageId),
        isNotNull(emailWebhookEvents.emailMessageId),
        inArray(emailWebhookEvents.status, ['bounced', 'complained']),
        eq(emailWebhookEvents.outcome, 'applied'),
      ),
    )
    .orderBy(desc(emailWebhookEvents.receivedAt))
    .limit(1);
  if (!row) return null;
  const detail = row.detail ?? {};
  return {
    status: row.status === 'complained' ? 'complained' : 'bounced',
    at: row.occurredAt ?? row.receivedAt,
    type: detail.type ?? null,
    subType: detail.subType ?? null,
    message: detail.message ?? null,
  };
}

/**
 * How long webhook events are kept: long past any retry of an event (Svix retries for about a day
 * and a half; a replay from the provider's dashboard may come later), so a retry is still
 * recognised, but not forever (every email sent adds two or three).
 */
export const WEBHOOK_EVENT_RETENTION_DAYS = 30;
const PRUNE_BATCH = 10_000;

/**
 * Deletes the webhook events received more than WEBHOOK_EVENT_RETENTION_DAYS before `now`, except
 * the applied bounces and complaints: they explain a message's status (the user page, the
 * invitation console's Bounced filter) for as long as the message is kept. In batches of
 * PRUNE_BATCH rows, each its own short statement; returns how many went. Run by the email sweep.
 */
export async function pruneWebhookEvents(db: Db, now: Date = new Date()): Promise<number> {
  const before = new Date(now.getTime() - WEBHOOK_EVENT_RETENTION_DAYS * 86_400_000).toISOString();
  let total = 0;
  for (;;) {
    const [row] = await db.execute<{ n: number }>(sql`
      with doomed as (
        select event_id from ${emailWebhookEvents}
        where received_at < ${before}::timestamptz and not (outcome = 'applied' and status in ('bounced', 'complained'))
        limit ${PRUNE_BATCH}),
      gone as (delete from ${emailWebhookEvents} e using doomed d where e.event_id = d.event_id returning 1)
      select count(*)::int as n from gone`);
    const n = row?.n ?? 0;
    total += n;
    if (n < PRUNE_BATCH) return total;
  }
}
