import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { tenantMembers, tenants, users } from '@/db/schema';
import type { Locale } from '@/db/schema/columns';
import { greetingName } from '@/emails/layout';
import type { PasswordChangeMethod } from '@/emails/password-changed';
import { sendEmail } from '@/lib/email/send';
import { env } from '@/lib/env';

export type { PasswordChangeMethod } from '@/emails/password-changed';

/** At most this many tenants are named in the email (the schema's limit). */
const MAX_TENANTS_NAMED = 20;

/**
 * Queues the "your password was changed" email (template `password-changed`) in the transaction
 * that changed the password, after the update: when (the stored `passwordChangedAt`), how, and the
 * tenants whose administrators to tell. One message per change (idempotency key from the user and
 * the change's time). In the user's language, else their first tenant's, else `fallbackLocale`.
 * Returns the message id: deliver it (`deliverQueuedEmails`) once the transaction has committed.
 */
export async function queuePasswordChangedEmail(
  tx: Db,
  input: { userId: string; method: PasswordChangeMethod; fallbackLocale?: Locale },
): Promise<string> {
  const [user] = await tx
    .select({
      email: users.email,
      firstName: users.firstName,
      lastName: users.lastName,
      locale: users.locale,
      changedAt: users.passwordChangedAt,
      // Microseconds, as stored: the key names this change and no other.
      changedAtMicros: sql<string | null>`(extract(epoch from ${users.passwordChangedAt}) * 1000000)::bigint::text`,
    })
    .from(users)
    .where(eq(users.id, input.userId))
    .limit(1);
  if (!user) throw new Error(`queuePasswordChangedEmail: no user ${input.userId}`);
  if (!user.changedAt || !user.changedAtMicros) {
    throw new Error('queuePasswordChangedEmail: call it after setting the password (passwordChangedAt is empty)');
  }

  // Active memberships, oldest first: the first one's language stands in for a user without one.
  const memberships = await tx
    .select({ name: tenants.name, defaultLocale: tenants.defaultLocale })
    .from(tenantMembers)
    .innerJoin(tenants, eq(tenants.id, tenantMembers.tenantId))
    .where(and(eq(tenantMembers.userId, input.userId), eq(tenantMembers.status, 'active')))
    .orderBy(asc(tenantMembers.createdAt), asc(tenants.name))
    .limit(MAX_TENANTS_NAMED);
  const locale: Locale = user.locale ?? memberships[0]?.defaultLocale ?? input.fallbackLocale ?? 'en';

  return sendEmail(tx, {
    to: user.email,
    template: 'password-changed',
    locale,
    tenantId: null,
    idempotencyKey: `password-changed-${input.userId}-${user.changedAtMicros}`,
    props: {
      recipientName: greetingName(user, locale),
      email: user.email,
      changedAt: user.changedAt,
      method: input.method,
      tenantNames: memberships.map((m) => m.name).sort((a, b) => a.localeCompare(b, locale)),
      forgotPasswordUrl: new URL('/forgot-password', env().APP_URL).toString(),
    },
  });
}
