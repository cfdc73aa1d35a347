import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const WEBHOOK_EVENT_OUTCOMES = ['applied', 'unchanged', 'unmatched', 'ignored'] as const;
export type WebhookEventOutcome = (typeof WEBHOOK_EVENT_OUTCOMES)[number];

/**
 * Every signed delivery-status event the email provider sent (Resend, signed by Svix), once: the
 * primary key is the sender's event id (`svix-id`, the same on each retry of one event), so a
 * second delivery of an event finds its row and changes nothing. No foreign keys: like the email
 * log, this outlives what it names.
 */
export const emailWebhookEvents = pgTable(
  'email_webhook_events',
  {
    /** The `svix-id` header. */
    eventId: text('event_id').primaryKey(),
    /** The event type as sent (`email.delivered`, `email.bounced`, …). */
    type: text('type').notNull(),
    /** `data.email_id`: the provider's id of the message (email_messages.provider_message_id). */
    providerMessageId: text('provider_message_id'),
    /** The message it was matched to, and that message's tenant (bounced invitations of a tenant). */
    emailMessageId: uuid('email_message_id'),
    tenantId: uuid('tenant_id'),
    /**
     * applied: the message's status moved to `status`; unchanged: matched, but the message already
     * was there or further (a late `delivered` after `bounced`); unmatched: no message has that id;
     * ignored: a type that does not change a delivery status (opened, clicked, …).
     */
    outcome: text('outcome', { enum: WEBHOOK_EVENT_OUTCOMES }).notNull(),
    /** The delivery status the event stands for (delivered, bounced, complained), when it stands for one. */
    status: text('status'),
    /** What the provider said about a bounce or complaint (type, sub-type, diagnostic message). */
    detail: jsonb('detail').$type<Record<string, string>>(),
    /** When the provider says it happened (`created_at` of the event). */
    occurredAt: timestamp('occurred_at', { withTimezone: true }),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // A message's latest events (the bounce shown on the user page).
    index('email_webhook_events_message_idx').on(t.emailMessageId, t.receivedAt.desc()).where(sql`${t.emailMessageId} is not null`),
    // A tenant's bounced messages: the invitation console's "bounced" filter starts here.
    index('email_webhook_events_tenant_bounced_idx').on(t.tenantId, t.emailMessageId).where(sql`${t.status} = 'bounced' and ${t.outcome} = 'applied'`),
    index('email_webhook_events_received_idx').on(t.receivedAt),
    check('email_webhook_events_outcome_ck', sql`${t.outcome} in ('applied', 'unchanged', 'unmatched', 'ignored')`),
    check('email_webhook_events_id_ck', sql`length(${t.eventId}) between 1 and 200`),
  ],
);
