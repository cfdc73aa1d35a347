import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './columns';

export const EMAIL_STATUSES = ['queued', 'sent', 'failed', 'delivered', 'bounced', 'complained'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

/**
 * Every email the system sends. Written in the request's transaction, delivered by the worker.
 * With the outbox transport (no RESEND_API_KEY) the rendered message stays here and is shown at
 * /dev/mailbox; with Resend this is the delivery log.
 */
export const emailMessages = pgTable(
  'email_messages',
  {
    id: id(),
    /** No foreign key: the delivery log outlives what it names, and bulk appends (imports) must not check it. */
    tenantId: uuid('tenant_id'),
    toAddress: text('to_address').notNull(),
    template: text('template').notNull(),
    locale: text('locale', { enum: ['en', 'ja'] }).notNull(),
    props: jsonb('props').$type<Record<string, unknown>>().notNull(),
    subject: text('subject'),
    html: text('html'),
    text: text('text'),
    /** Names the reason for the message (`invitation-<token id>`): one message per key. */
    idempotencyKey: text('idempotency_key').notNull(),
    /**
     * The Idempotency-Key of the provider request that carries this message, fixed (and committed)
     * before the first try: the message's own idempotency key when it goes alone, or a batch key
     * (`batch-<digest of the message ids>`) shared by the messages of one batch call. It never
     * changes while the message is queued, so every retry, even after a crash, repeats the very
     * same request and the provider's dedup holds (workers/email.ts).
     */
    sendKey: text('send_key'),
    /** When `send_key` was fixed: the provider remembers idempotency keys for 24 hours only. */
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    transport: text('transport', { enum: ['outbox', 'resend'] }),
    status: text('status', { enum: EMAIL_STATUSES }).notNull().default('queued'),
    providerMessageId: text('provider_message_id'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('email_messages_idempotency_uq').on(t.idempotencyKey),
    index('email_messages_created_idx').on(t.createdAt.desc()),
    index('email_messages_to_idx').on(sql`lower(${t.toAddress})`),
    index('email_messages_provider_idx').on(t.providerMessageId),
    // The messages of one provider request still to be resolved (a retry sends exactly these).
    index('email_messages_send_key_idx').on(t.sendKey).where(sql`${t.status} = 'queued'`),
    // The few messages that did not arrive, for the invitations' Bounced filter (lib/invitations
    // deliveryFailedSql): without it the filter read every message of every tenant (45 ms at
    // 100,000 messages, 0.2 ms with it).
    index('email_messages_undelivered_idx').on(t.idempotencyKey).where(sql`${t.status} in ('bounced', 'failed')`),
    check(
      'email_messages_status_ck',
      sql`${t.status} in ('queued', 'sent', 'failed', 'delivered', 'bounced', 'complained')`,
    ),
  ],
);
