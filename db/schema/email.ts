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
    /** Sent as the provider's Idempotency-Key: the same on every retry. */
    idempotencyKey: text('idempotency_key').notNull(),
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
    check(
      'email_messages_status_ck',
      sql`${t.status} in ('queued', 'sent', 'failed', 'delivered', 'bounced', 'complained')`,
    ),
  ],
);
