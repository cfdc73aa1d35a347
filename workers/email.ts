import { UnrecoverableError, type Job } from 'bullmq';
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { emailMessages } from '@/db/schema';
import { redactSensitiveProps, renderEmail, type RenderedEmail } from '@/lib/email/render';
import { PermanentDeliveryError, type EmailTransport } from '@/lib/email/transports';
import { isEmailTemplateName } from '@/emails';
import { handleJob, type JobHandler } from './jobs';

/** What the email processor needs: the database, a transport and the sender address. */
export interface EmailWorkerContext {
  db: Database;
  transport: EmailTransport;
  from: string;
}

/**
 * `sent`: delivered now. `skipped`: already sent or failed earlier (jobs may run twice).
 * `busy`: another worker holds the message right now and will deliver it. `failed`: given up.
 */
export type DeliveryOutcome = 'sent' | 'skipped' | 'busy' | 'failed';

function errorMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 2_000);
}

/**
 * Delivers one message exactly once as far as we can tell: the row is locked while it is rendered,
 * sent and marked, so concurrent jobs for the same message skip it, and the provider gets the
 * same idempotency key on every retry. Throws only retryable errors (unless `finalAttempt`).
 */
export async function deliverMessage(
  ctx: EmailWorkerContext,
  messageId: string,
  finalAttempt: boolean,
): Promise<DeliveryOutcome> {
  try {
    return await ctx.db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(emailMessages)
        .where(eq(emailMessages.id, messageId))
        .for('update', { skipLocked: true });
      if (!row) {
        const [exists] = await tx.select({ id: emailMessages.id }).from(emailMessages).where(eq(emailMessages.id, messageId));
        if (exists) return 'busy';
        throw new PermanentDeliveryError(`email message ${messageId} does not exist`);
      }
      if (row.status !== 'queued') return 'skipped';
      if (!isEmailTemplateName(row.template)) throw new PermanentDeliveryError(`unknown email template ${row.template}`);

      let rendered: RenderedEmail;
      try {
        rendered = await renderEmail(row.template, row.locale, row.props);
      } catch (err) {
        throw new PermanentDeliveryError(`cannot render ${row.template}: ${errorMessage(err)}`);
      }
      const receipt = await ctx.transport.deliver({
        from: ctx.from,
        to: row.toAddress,
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        idempotencyKey: row.idempotencyKey,
      });
      const keep = ctx.transport.keepsContent;
      await tx
        .update(emailMessages)
        .set({
          status: 'sent',
          transport: ctx.transport.name,
          subject: rendered.subject,
          html: keep ? rendered.html : null,
          text: keep ? rendered.text : null,
          props: keep ? row.props : redactSensitiveProps(row.template, row.props),
          providerMessageId: receipt.providerMessageId,
          attempts: row.attempts + 1,
          sentAt: new Date(),
          lastError: null,
        })
        .where(eq(emailMessages.id, messageId));
      return 'sent';
    });
  } catch (err) {
    const permanent = err instanceof PermanentDeliveryError || finalAttempt;
    await recordFailure(ctx, messageId, errorMessage(err), permanent);
    if (permanent) return 'failed';
    throw err;
  }
}

async function recordFailure(ctx: EmailWorkerContext, messageId: string, message: string, permanent: boolean) {
  const onlyQueued = and(eq(emailMessages.id, messageId), eq(emailMessages.status, 'queued'));
  if (!permanent) {
    await ctx.db
      .update(emailMessages)
      .set({ attempts: sql`${emailMessages.attempts} + 1`, lastError: message, transport: ctx.transport.name })
      .where(onlyQueued);
    return;
  }
  const [row] = await ctx.db
    .select({ template: emailMessages.template, props: emailMessages.props })
    .from(emailMessages)
    .where(onlyQueued);
  if (!row) return;
  await ctx.db
    .update(emailMessages)
    .set({
      status: 'failed',
      attempts: sql`${emailMessages.attempts} + 1`,
      lastError: message,
      transport: ctx.transport.name,
      // A message that will never be sent needs no live link either (the admin resends: new token).
      props: ctx.transport.keepsContent ? row.props : redactSensitiveProps(row.template, row.props),
    })
    .where(onlyQueued);
}

/** This run is the job's last chance: BullMQ will not retry after it. */
function isFinalAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** Handlers of the `email` queue. */
export function emailHandlers(ctx: EmailWorkerContext): JobHandler[] {
  return [
    handleJob('email.send', async ({ messageId }, job) => {
      const outcome = await deliverMessage(ctx, messageId, isFinalAttempt(job));
      // Shown as a failed job in queue dashboards, without further retries.
      if (outcome === 'failed') throw new UnrecoverableError(`email message ${messageId} failed (see last_error)`);
      return { messageId, outcome };
    }),
    handleJob('email.send-batch', async ({ messageIds }, job) => {
      const finalAttempt = isFinalAttempt(job);
      const outcomes: Record<DeliveryOutcome, number> = { sent: 0, skipped: 0, busy: 0, failed: 0 };
      const retryable: string[] = [];
      // One by one, each message on its own: a bad address never holds back the others, and on a
      // retry the messages already sent are skipped.
      for (const messageId of messageIds) {
        try {
          outcomes[await deliverMessage(ctx, messageId, finalAttempt)] += 1;
        } catch (err) {
          retryable.push(`${messageId}: ${errorMessage(err)}`);
        }
      }
      if (retryable.length > 0) {
        throw new Error(`${retryable.length} of ${messageIds.length} emails will be retried; first: ${retryable[0]}`);
      }
      return outcomes;
    }),
  ];
}
