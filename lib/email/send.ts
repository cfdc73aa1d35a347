import { randomUUID } from 'node:crypto';
import { and, asc, eq, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '@/db/client';
import { emailMessages } from '@/db/schema';
import type { Locale } from '@/db/schema/columns';
import { emailTemplates, type EmailTemplateName, type EmailTemplateProps } from '@/emails';
import { enqueueBulk, MAX_EMAIL_BATCH } from '@/workers/jobs';

/**
 * Sending an email is two steps, so that no email goes out for work that was rolled back and no
 * request waits for a mail provider:
 *
 *   const messageId = await db.transaction(async (tx) => {
 *     const invitation = await createInvitation(tx, …);
 *     return sendEmail(tx, { to, template: 'invitation', locale, props, tenantId,
 *                            idempotencyKey: `invitation-${invitation.id}` });
 *   });
 *   await deliverQueuedEmails([messageId]);   // after commit
 *
 * `sendEmail` only saves the message (status `queued`); the worker renders and sends it. If the
 * enqueue fails (Redis down), the row stays `queued` and the worker's sweep
 * (`requeueQueuedEmails`) picks it up later.
 */
export interface SendEmailInput<N extends EmailTemplateName> {
  to: string;
  template: N;
  locale: Locale;
  props: EmailTemplateProps<N>;
  tenantId?: string | null;
  /**
   * Names the reason for this email (`invitation-<id>`): a second call with the same key returns
   * the first message instead of creating another, and the provider receives it as
   * Idempotency-Key. Defaults to a random key.
   */
  idempotencyKey?: string;
}

const zAddress = z.email();
// Resend takes keys up to 256 characters; `batch-…` names the worker's batch calls (workers/email.ts).
const zIdempotencyKey = z
  .string()
  .min(1)
  .max(256)
  .refine((key) => !key.startsWith('batch-'), 'idempotency keys starting with "batch-" are reserved for batch sends');

/** Saves an email (status queued) in the caller's db or transaction and returns its id; duplicate keys return the existing id. */
export async function sendEmail<N extends EmailTemplateName>(db: Db, input: SendEmailInput<N>): Promise<string> {
  const to = zAddress.parse(input.to.trim());
  // Checked here so a bad call fails in the request that made it, not later in the worker.
  const props: Record<string, unknown> = emailTemplates[input.template].schema.parse(input.props);
  const idempotencyKey = zIdempotencyKey.parse(input.idempotencyKey ?? `email-${randomUUID()}`);
  const [inserted] = await db
    .insert(emailMessages)
    .values({
      tenantId: input.tenantId ?? null,
      toAddress: to,
      template: input.template,
      locale: input.locale,
      props,
      idempotencyKey,
      status: 'queued',
    })
    .onConflictDoNothing({ target: emailMessages.idempotencyKey })
    .returning({ id: emailMessages.id });
  if (inserted) return inserted.id;
  const [existing] = await db
    .select({ id: emailMessages.id })
    .from(emailMessages)
    .where(eq(emailMessages.idempotencyKey, idempotencyKey))
    .limit(1);
  if (!existing) throw new Error(`email_messages conflict on ${idempotencyKey} but no row found`);
  return existing.id;
}

/** Up to this many messages get one job each (retried one by one); more go out in batch jobs. */
const SINGLE_JOB_LIMIT = 10;

/** Enqueues delivery of saved messages; call after the transaction that saved them has committed. */
export async function deliverQueuedEmails(messageIds: readonly string[]): Promise<void> {
  const ids = [...new Set(messageIds)];
  if (ids.length === 0) return;
  if (ids.length <= SINGLE_JOB_LIMIT) {
    await enqueueBulk(
      'email.send',
      ids.map((messageId) => ({ messageId })),
    );
    return;
  }
  const batches: { messageIds: string[] }[] = [];
  for (let i = 0; i < ids.length; i += MAX_EMAIL_BATCH) batches.push({ messageIds: ids.slice(i, i + MAX_EMAIL_BATCH) });
  await enqueueBulk('email.send-batch', batches);
}

/**
 * Re-enqueues messages still `queued` after `olderThanMs` (their enqueue failed, Redis lost the job,
 * or their job gave up while the database was unreachable), in batch jobs. Harmless for messages
 * whose job is still waiting or running: the worker claims each message once and sends every claim
 * once (workers/email.ts); a second job finds it sent, or in another worker's hands, and skips it.
 */
export async function requeueQueuedEmails(
  db: Db,
  options: { olderThanMs?: number; limit?: number } = {},
): Promise<number> {
  // The database's clock, like created_at's: an app server's clock may be skewed or coarser.
  const cutoff = sql`now() - ${options.olderThanMs ?? 60_000} * interval '1 millisecond'`;
  const rows = await db
    .select({ id: emailMessages.id })
    .from(emailMessages)
    .where(and(eq(emailMessages.status, 'queued'), lt(emailMessages.createdAt, cutoff)))
    // The messages of one earlier claim side by side, so one job repeats that request.
    .orderBy(sql`${emailMessages.sendKey} nulls last`, asc(emailMessages.createdAt))
    .limit(options.limit ?? 10_000);
  const ids = rows.map((r) => r.id);
  // New job ids for this sweep: an earlier job of the same messages may still be kept in Redis
  // (finished jobs are kept for a while) and would swallow a re-add under its id.
  const round = `sweep${Date.now().toString(36)}`;
  const batches: { messageIds: string[]; round: string }[] = [];
  for (let i = 0; i < ids.length; i += MAX_EMAIL_BATCH) batches.push({ messageIds: ids.slice(i, i + MAX_EMAIL_BATCH), round });
  await enqueueBulk('email.send-batch', batches);
  return ids.length;
}
