import { and, desc, eq, inArray, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '@/db/client';
import { emailMessages, tenantMembers, type EmailStatus, type Locale } from '@/db/schema';

/** Queries behind /dev/mailbox: the outbox transport's messages, newest first. */

/** Who is reading the mailbox. */
export interface MailboxReader {
  email: string;
  isPlatformOperator: boolean;
  /** Tenants where the reader is an active tenant administrator. */
  adminTenantIds: readonly string[];
}

/**
 * Outbox messages carry live registration and reset links, so each reader sees only what would
 * have reached them or their tenant's administrators: their own mail, and mail of the tenants
 * they administer. The platform operator sees everything.
 */
export function mailboxVisibleTo(reader: MailboxReader): SQL | undefined {
  if (reader.isPlatformOperator) return undefined;
  const own = sql`lower(${emailMessages.toAddress}) = ${reader.email.toLowerCase()}`;
  return reader.adminTenantIds.length > 0 ? or(own, inArray(emailMessages.tenantId, [...reader.adminTenantIds])) : own;
}

/** The reader facts for a user: one query over their active tenant-admin memberships. */
export async function mailboxReaderOf(db: Db, user: { userId: string; email: string; isPlatformOperator: boolean }): Promise<MailboxReader> {
  const rows = user.isPlatformOperator
    ? []
    : await db
        .select({ tenantId: tenantMembers.tenantId })
        .from(tenantMembers)
        .where(and(eq(tenantMembers.userId, user.userId), eq(tenantMembers.status, 'active'), eq(tenantMembers.isTenantAdmin, true)));
  return { email: user.email, isPlatformOperator: user.isPlatformOperator, adminTenantIds: rows.map((r) => r.tenantId) };
}

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
export async function listMailboxMessages(db: Db, reader: MailboxReader, options: { to?: string; limit?: number } = {}): Promise<MailboxListItem[]> {
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
    .where(and(mailboxVisibleTo(reader), to ? sql`lower(${emailMessages.toAddress}) = ${to}` : undefined))
    .orderBy(desc(emailMessages.createdAt), desc(emailMessages.id))
    .limit(options.limit ?? 100);
}

/** One message with its content, or null (also for ids that are not UUIDs). */
export async function getMailboxMessage(db: Db, reader: MailboxReader, id: string) {
  if (!zId.safeParse(id).success) return null;
  const [row] = await db.select().from(emailMessages).where(and(eq(emailMessages.id, id), mailboxVisibleTo(reader))).limit(1);
  return row ?? null;
}
