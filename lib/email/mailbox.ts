import { desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '@/db/client';
import { emailMessages, type EmailStatus, type Locale } from '@/db/schema';

/** Queries behind /dev/mailbox: the outbox transport's messages, newest first. */

export interface MailboxListItem {
  id: string;
  toAddress: string;
  subject: string | null;
  template: string;
  locale: Locale;
  status: EmailStatus;
  createdAt: Date;
  sentAt: Date | null;
}

const zId = z.uuid();

/** The newest messages (100 by default), optionally only those to one address (case-insensitive). */
export async function listMailboxMessages(db: Db, options: { to?: string; limit?: number } = {}): Promise<MailboxListItem[]> {
  const to = options.to?.trim().toLowerCase();
  return db
    .select({
      id: emailMessages.id,
      toAddress: emailMessages.toAddress,
      subject: emailMessages.subject,
      template: emailMessages.template,
      locale: emailMessages.locale,
      status: emailMessages.status,
      createdAt: emailMessages.createdAt,
      sentAt: emailMessages.sentAt,
    })
    .from(emailMessages)
    .where(to ? sql`lower(${emailMessages.toAddress}) = ${to}` : undefined)
    .orderBy(desc(emailMessages.createdAt), desc(emailMessages.id))
    .limit(options.limit ?? 100);
}

/** One message with its content, or null (also for ids that are not UUIDs). */
export async function getMailboxMessage(db: Db, id: string) {
  if (!zId.safeParse(id).success) return null;
  const [row] = await db.select().from(emailMessages).where(eq(emailMessages.id, id)).limit(1);
  return row ?? null;
}
