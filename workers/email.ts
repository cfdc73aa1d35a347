import { createHash } from 'node:crypto';
import { UnrecoverableError, type Job } from 'bullmq';
import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '@/db/client';
import { emailMessages } from '@/db/schema';
import type { Locale } from '@/db/schema/columns';
import { redactSensitiveProps, type RenderedEmail } from '@/lib/email/render';
import { renderInThisThread } from '@/lib/email/render-pool';
import {
  MAX_PROVIDER_BATCH,
  PermanentDeliveryError,
  TransientDeliveryError,
  type DeliveryReceipt,
  type EmailTransport,
  type OutgoingEmail,
} from '@/lib/email/transports';
import { isEmailTemplateName, type EmailTemplateName } from '@/emails';
import { handleJob, type JobHandler } from './jobs';

/*
 * Delivery, exactly once. Each queued message is first CLAIMED: its `send_key` is fixed and
 * committed before any request leaves. A message alone is claimed under its own idempotency key;
 * the messages of a batch job under one batch key (`batch-<digest of their ids>`). Then the group
 * of messages sharing a send key is sent in one request whose Idempotency-Key is that send key,
 * and marked sent in the same transaction that holds their rows locked during the request.
 *
 * Whatever happens next — a 429, a 500, a timeout whose request did arrive, a kill -9 between the
 * provider's answer and our commit — the group stays queued with its send key, and every later try
 * (the job's retry, BullMQ's stalled-job recovery, the sweep, another job naming one of its
 * messages) repeats the very same request: same key, same messages, same rendered content. The
 * provider (Resend keeps keys for 24 hours) answers a repeat with the first answer instead of
 * sending again. A send key never changes while the provider may have accepted it; the one
 * exception is a batch the provider refused as invalid (strict validation: it sent none of it),
 * which is split in halves under new keys to find the bad messages.
 */

/** What the email processor needs: the database, a transport and the sender address. */
export interface EmailWorkerContext {
  db: Database;
  transport: EmailTransport;
  from: string;
  /** Renders a stored message (default: in this thread; the worker program passes its render pool). */
  render?: (template: EmailTemplateName, locale: Locale, props: unknown) => Promise<RenderedEmail>;
  /** The provider answered 429: hold the whole queue for `ms` (BullMQ's queue.rateLimit). */
  onRateLimited?: (ms: number) => Promise<unknown> | void;
}

/**
 * `sent`: delivered now. `skipped`: already sent or failed earlier (jobs may run twice).
 * `busy`: another worker holds the message right now and will deliver it. `failed`: given up.
 */
export type DeliveryOutcome = 'sent' | 'skipped' | 'busy' | 'failed';

/** Batch send keys start so; sendEmail refuses idempotency keys that do (lib/email/send.ts). */
export const BATCH_KEY_PREFIX = 'batch-';

/**
 * A claim older than this is not sent again: the provider's memory of idempotency keys (24 hours)
 * may be gone, so a repeat could deliver a second copy. The message is failed as "unconfirmed".
 */
const CLAIM_TRUST_MS = 23 * 3600_000;

// Between an email job's tries (12, workers/jobs.ts): 1 s doubling to 5 min, ≈ 18 min in all.
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 5 * 60_000;

function errorMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 2_000);
}

/** Some messages could not go now; the job is retried (after `retryAfterMs` at least, when known). */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/**
 * The delay before an email job's next attempt (BullMQ backoff strategy `email`): exponential with
 * up to 20% jitter, and never shorter than the Retry-After the provider gave.
 */
export function emailRetryDelay(attemptsMade: number, err?: Error, random: () => number = Math.random): number {
  const exponential = Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attemptsMade - 1), BACKOFF_MAX_MS);
  const jittered = Math.round(exponential * (1 + 0.2 * random()));
  const asked = err && 'retryAfterMs' in err && typeof err.retryAfterMs === 'number' ? err.retryAfterMs : 0;
  return Math.max(jittered, asked);
}

/** The send key of a set of messages claimed together: the message's own key alone, else a batch key. */
export function sendKeyFor(messages: readonly { id: string; idempotencyKey: string }[]): string {
  if (messages.length === 1) return messages[0]!.idempotencyKey;
  const ids = messages.map((m) => m.id).sort();
  return `${BATCH_KEY_PREFIX}${createHash('sha256').update(ids.join(',')).digest('hex').slice(0, 40)}`;
}

/** Fixes the send key of the queued, unclaimed messages among `ids` (≤ 100 per key); returns the keys to send. */
async function claim(db: Database, ids: readonly string[]): Promise<string[]> {
  return db.transaction(async (tx) => {
    // Rows another worker is claiming or sending right now are skipped: that worker delivers them.
    const rows = await tx
      .select({ id: emailMessages.id, sendKey: emailMessages.sendKey, idempotencyKey: emailMessages.idempotencyKey })
      .from(emailMessages)
      .where(and(inArray(emailMessages.id, [...ids]), eq(emailMessages.status, 'queued')))
      .orderBy(asc(emailMessages.id))
      .for('update', { skipLocked: true });
    const keys = new Set<string>();
    for (const row of rows) if (row.sendKey) keys.add(row.sendKey);
    const fresh = rows.filter((row) => !row.sendKey);
    for (let i = 0; i < fresh.length; i += MAX_PROVIDER_BATCH) {
      const part = fresh.slice(i, i + MAX_PROVIDER_BATCH);
      const key = sendKeyFor(part);
      await tx
        .update(emailMessages)
        .set({ sendKey: key, claimedAt: sql`now()` })
        .where(inArray(emailMessages.id, part.map((row) => row.id)));
      keys.add(key);
    }
    return [...keys];
  });
}

type Row = typeof emailMessages.$inferSelect;

/** What one send of a group came to. `split`: refused as invalid, now two smaller groups under these keys. */
type GroupResult =
  | { kind: 'done'; outcomes: Map<string, DeliveryOutcome> }
  | { kind: 'busy' }
  | { kind: 'split'; keys: string[]; outcomes: Map<string, DeliveryOutcome> };

interface Resolution {
  id: string;
  outcome: 'sent' | 'failed';
  receipt?: DeliveryReceipt;
  rendered?: RenderedEmail;
  error?: string;
}

/** Writes the outcome of a group's messages in one statement (sent: receipt and content as the transport keeps it). */
async function resolve(db: Pick<Database, 'execute'>, ctx: EmailWorkerContext, rows: Row[], resolutions: Resolution[]): Promise<void> {
  if (resolutions.length === 0) return;
  const byId = new Map(rows.map((row) => [row.id, row]));
  const keep = ctx.transport.keepsContent;
  const updates = resolutions.map((r) => {
    const row = byId.get(r.id)!;
    // A message that left through a real provider, or never will, needs no live link in our database.
    const props = keep ? row.props : redactSensitiveProps(row.template, row.props);
    return {
      id: r.id,
      status: r.outcome,
      provider_message_id: r.receipt?.providerMessageId ?? null,
      subject: r.rendered?.subject ?? row.subject,
      html: keep ? (r.rendered?.html ?? null) : null,
      text: keep ? (r.rendered?.text ?? null) : null,
      props,
      last_error: r.error ?? null,
    };
  });
  await db.execute(sql`
    update email_messages m set
      status = v.status,
      transport = ${ctx.transport.name},
      provider_message_id = v.provider_message_id,
      subject = v.subject,
      html = v.html,
      text = v.text,
      props = v.props,
      last_error = v.last_error,
      attempts = m.attempts + 1,
      sent_at = case when v.status = 'sent' then now() end,
      updated_at = now()
    from jsonb_to_recordset(${JSON.stringify(updates)}::jsonb)
      as v(id uuid, status text, provider_message_id text, subject text, html text, text text, props jsonb, last_error text)
    where m.id = v.id and m.status = 'queued'`);
}

/** Sends the queued messages under one send key, holding their rows locked until the outcome is committed. */
async function sendGroup(ctx: EmailWorkerContext, key: string): Promise<GroupResult> {
  return ctx.db.transaction(async (tx): Promise<GroupResult> => {
    const queuedUnderKey = and(eq(emailMessages.sendKey, key), eq(emailMessages.status, 'queued'));
    const rows = await tx.select().from(emailMessages).where(queuedUnderKey).orderBy(asc(emailMessages.id)).for('update', { skipLocked: true });
    const [all] = await tx.select({ n: count() }).from(emailMessages).where(queuedUnderKey);
    // Part of the group is locked by another worker: it is sending this very request now.
    if ((all?.n ?? 0) > rows.length) return { kind: 'busy' };
    const outcomes = new Map<string, DeliveryOutcome>();
    if (rows.length === 0) return { kind: 'done', outcomes };

    // (The outbox has no idempotency window: its "request" is this very transaction.)
    const oldest = Math.min(...rows.map((row) => (row.claimedAt ?? row.createdAt).getTime()));
    if (ctx.transport.name !== 'outbox' && Date.now() - oldest > CLAIM_TRUST_MS) {
      const error = 'not confirmed by the provider within 23 hours of the first try; not sent again, since a repeat could now arrive twice (resend it if it never arrived)';
      await resolve(tx, ctx, rows, rows.map((row) => ({ id: row.id, outcome: 'failed', error })));
      for (const row of rows) outcomes.set(row.id, 'failed');
      return { kind: 'done', outcomes };
    }

    const render = ctx.render ?? renderInThisThread;
    const renders = await Promise.allSettled(
      rows.map((row) =>
        isEmailTemplateName(row.template) ? render(row.template, row.locale, row.props) : Promise.reject(new Error(`unknown email template ${row.template}`)),
      ),
    );
    const resolutions: Resolution[] = [];
    const outgoing: { row: Row; email: OutgoingEmail; rendered: RenderedEmail }[] = [];
    rows.forEach((row, i) => {
      const r = renders[i]!;
      if (r.status === 'rejected') {
        // Deterministic (the stored props or template): every retry would fail the same way.
        resolutions.push({ id: row.id, outcome: 'failed', error: `cannot render ${row.template}: ${errorMessage(r.reason)}` });
        return;
      }
      const rendered = r.value;
      outgoing.push({
        row,
        rendered,
        email: { from: ctx.from, to: row.toAddress, subject: rendered.subject, html: rendered.html, text: rendered.text, idempotencyKey: row.idempotencyKey, messageId: row.id },
      });
    });

    if (outgoing.length > 0) {
      const emails = outgoing.map((o) => o.email);
      let receipts: DeliveryReceipt[];
      if (key.startsWith(BATCH_KEY_PREFIX) && ctx.transport.deliverBatch) {
        try {
          receipts = await ctx.transport.deliverBatch(emails, { idempotencyKey: key });
        } catch (err) {
          if (err instanceof PermanentDeliveryError && err.splittable && outgoing.length > 1) {
            // Strict validation refused the call: nothing of it was sent. Halves, under new keys.
            const sorted = outgoing.map((o) => o.row).sort((a, b) => (a.id < b.id ? -1 : 1));
            const halves = [sorted.slice(0, Math.ceil(sorted.length / 2)), sorted.slice(Math.ceil(sorted.length / 2))];
            const keys: string[] = [];
            for (const half of halves) {
              const halfKey = sendKeyFor(half);
              await tx.update(emailMessages).set({ sendKey: halfKey, claimedAt: sql`now()` }).where(inArray(emailMessages.id, half.map((r) => r.id)));
              keys.push(halfKey);
            }
            await resolve(tx, ctx, rows, resolutions);
            for (const r of resolutions) outcomes.set(r.id, r.outcome);
            return { kind: 'split', keys, outcomes };
          }
          throw err;
        }
      } else {
        // One request per message, each under its own key (the outbox; a message claimed alone).
        receipts = [];
        for (const email of emails) receipts.push(await ctx.transport.deliver(email));
      }
      outgoing.forEach((o, i) => resolutions.push({ id: o.row.id, outcome: 'sent', receipt: receipts[i], rendered: o.rendered }));
    }
    await resolve(tx, ctx, rows, resolutions);
    for (const r of resolutions) outcomes.set(r.id, r.outcome);
    return { kind: 'done', outcomes };
  });
}

/** Counts a try that did not resolve the group: attempts + 1, the error kept for the admin. */
async function recordTry(ctx: EmailWorkerContext, key: string, message: string): Promise<void> {
  await ctx.db
    .update(emailMessages)
    .set({ attempts: sql`${emailMessages.attempts} + 1`, lastError: message, transport: ctx.transport.name })
    .where(and(eq(emailMessages.sendKey, key), eq(emailMessages.status, 'queued')));
}

/** Fails every queued message of a group (its rows are not locked by anyone else: we hold no transaction). */
async function failGroup(ctx: EmailWorkerContext, key: string, message: string): Promise<Map<string, DeliveryOutcome>> {
  return ctx.db.transaction(async (tx) => {
    const rows = await tx
      .select()
      .from(emailMessages)
      .where(and(eq(emailMessages.sendKey, key), eq(emailMessages.status, 'queued')))
      .for('update', { skipLocked: true });
    await resolve(tx, ctx, rows, rows.map((row) => ({ id: row.id, outcome: 'failed', error: message })));
    return new Map(rows.map((row) => [row.id, 'failed' as const]));
  });
}

/**
 * Delivers the queued messages among `messageIds`, exactly once each (see the top of this file).
 * Returns each message's outcome. Throws RetryLaterError when some could not go now, after trying
 * all the others; on the job's final attempt those are failed instead.
 */
export async function deliverMessages(
  ctx: EmailWorkerContext,
  messageIds: readonly string[],
  finalAttempt: boolean,
): Promise<Map<string, DeliveryOutcome>> {
  const outcomes = new Map<string, DeliveryOutcome>();
  const pending = await claim(ctx.db, messageIds);
  const retry: { key: string; error: unknown }[] = [];
  for (let key = pending.shift(); key !== undefined; key = pending.shift()) {
    try {
      const result = await sendGroup(ctx, key);
      if (result.kind === 'split') pending.push(...result.keys);
      if (result.kind === 'done' || result.kind === 'split') for (const [id, outcome] of result.outcomes) outcomes.set(id, outcome);
    } catch (err) {
      const message = errorMessage(err);
      if (err instanceof PermanentDeliveryError) {
        for (const [id, outcome] of await failGroup(ctx, key, message)) outcomes.set(id, outcome);
        continue;
      }
      if (err instanceof TransientDeliveryError && err.rateLimited && err.retryAfterMs) await ctx.onRateLimited?.(err.retryAfterMs);
      if (finalAttempt) {
        for (const [id, outcome] of await failGroup(ctx, key, `gave up after the last retry: ${message}`)) outcomes.set(id, outcome);
        continue;
      }
      await recordTry(ctx, key, message);
      retry.push({ key, error: err });
    }
  }

  // The job's own messages that no group of ours resolved: done by someone earlier, or in someone's hands now.
  const unresolved = messageIds.filter((id) => !outcomes.has(id));
  if (unresolved.length > 0) {
    const rows = await ctx.db
      .select({ id: emailMessages.id, status: emailMessages.status })
      .from(emailMessages)
      .where(inArray(emailMessages.id, unresolved));
    const status = new Map(rows.map((row) => [row.id, row.status]));
    for (const id of unresolved) {
      const s = status.get(id);
      // A message that does not exist cannot be sent: failed (nothing to record).
      outcomes.set(id, s === undefined ? 'failed' : s === 'queued' ? 'busy' : 'skipped');
    }
  }

  if (retry.length > 0) {
    const waits = retry.map((r) => (r.error instanceof TransientDeliveryError ? (r.error.retryAfterMs ?? 0) : 0));
    const waitMs = Math.max(...waits);
    throw new RetryLaterError(`${retry.length} request(s) will be retried; first: ${errorMessage(retry[0]!.error)}`, waitMs > 0 ? waitMs : undefined);
  }
  return outcomes;
}

/** This run is the job's last chance: BullMQ will not retry after it. */
function isFinalAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** Handlers of the `email` queue. */
export function emailHandlers(ctx: EmailWorkerContext): JobHandler[] {
  return [
    handleJob('email.send', async ({ messageId }, job) => {
      const outcome = (await deliverMessages(ctx, [messageId], isFinalAttempt(job))).get(messageId) ?? 'skipped';
      // Shown as a failed job in queue dashboards, without further retries.
      if (outcome === 'failed') throw new UnrecoverableError(`email message ${messageId} failed (see last_error)`);
      return { messageId, outcome };
    }),
    handleJob('email.send-batch', async ({ messageIds }, job) => {
      const counts: Record<DeliveryOutcome, number> = { sent: 0, skipped: 0, busy: 0, failed: 0 };
      for (const outcome of (await deliverMessages(ctx, messageIds, isFinalAttempt(job))).values()) counts[outcome] += 1;
      return counts;
    }),
  ];
}
