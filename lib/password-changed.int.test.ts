import { and, desc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { emailMessages, tenantMembers, tenants, users } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { renderEmail } from '@/lib/email/render';
import { requestPasswordReset, resetPassword } from '@/lib/invitations';
import { hashPassword } from '@/lib/passwords';
import { addMember, createTenantFixture, type TenantFixture } from '@/lib/testing/fixtures';
import { queuePasswordChangedEmail } from './password-changed';

let tdb: TestDatabase;
let db: Database;
let ca: TenantFixture;
let globex: TenantFixture;
let passwordHash: string;

const NEW_PASSWORD = 'brand new passphrase';

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  passwordHash = await hashPassword('correct horse battery staple');
  ca = await createTenantFixture(db, { slug: 'ca', orgPaths: ['CA__India'] });
  globex = await createTenantFixture(db, { slug: 'globex', name: 'Globex' });
});

afterAll(async () => {
  await tdb?.drop();
});

/** The password-changed messages to `to`, newest first. */
async function changedMails(to: string) {
  return db
    .select()
    .from(emailMessages)
    .where(and(eq(emailMessages.template, 'password-changed'), eq(sql`lower(${emailMessages.toAddress})`, to.toLowerCase())))
    .orderBy(desc(emailMessages.createdAt));
}

/** Sets the user's password the way every password-setting flow does, with the email, in one transaction. */
async function changePassword(userId: string, method: 'reset' | 'change' = 'change') {
  return db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash, passwordChangedAt: sql`now()` }).where(eq(users.id, userId));
    return queuePasswordChangedEmail(tx, { userId, method });
  });
}

describe('password changed email', () => {
  it('is queued when a password reset is completed: once, in the user language, saying when', async () => {
    const member = await addMember(db, ca, {
      email: 'Reset.Me@ca.test',
      firstName: '太郎',
      lastName: '山田',
      locale: 'ja',
      passwordHash,
      orgs: [{ path: 'CA__India' }],
    });
    await addMember(db, globex, { email: 'reset.me@ca.test' });
    const { emailMessageId } = await requestPasswordReset(db, 'reset.me@ca.test', 'en');
    const [resetMail] = await db.select({ props: emailMessages.props }).from(emailMessages).where(eq(emailMessages.id, emailMessageId!));
    const rawToken = new URL(String(resetMail!.props.resetUrl)).pathname.split('/').pop()!;
    expect(await changedMails('reset.me@ca.test')).toHaveLength(0);

    await resetPassword(db, rawToken, { password: NEW_PASSWORD, passwordConfirmation: NEW_PASSWORD });

    const mails = await changedMails('reset.me@ca.test');
    expect(mails).toHaveLength(1);
    const [user] = await db.select().from(users).where(eq(users.id, member.userId));
    const mail = mails[0]!;
    expect(mail).toMatchObject({ toAddress: 'Reset.Me@ca.test', locale: 'ja', status: 'queued', tenantId: null });
    expect(mail.idempotencyKey).toMatch(new RegExp(`^password-changed-${member.userId}-\\d+$`));
    expect(mail.props).toMatchObject({
      recipientName: '山田 太郎',
      email: 'Reset.Me@ca.test',
      method: 'reset',
      tenantNames: ['CA', 'Globex'],
      forgotPasswordUrl: expect.stringMatching(/^https?:\/\/[^/]+\/forgot-password$/),
    });
    // "When" is the change's own time, as stored.
    expect(new Date(String(mail.props.changedAt)).getTime()).toBe(user!.passwordChangedAt!.getTime());

    const rendered = await renderEmail('password-changed', mail.locale, mail.props);
    expect(rendered.subject).toBe('Tenantry のパスワードが再設定されました');
    expect(rendered.text).toContain('山田 太郎 様');
    expect(rendered.text).toMatch(/変更日時：\d{4}年\d{1,2}月\d{1,2}日 \d{1,2}:\d{2} JST/);
    expect(rendered.text).toContain('「CA」「Globex」の管理者に連絡してください');
  });

  it('is not queued when the reset is refused (nothing changed)', async () => {
    await addMember(db, ca, { email: 'refused@ca.test', passwordHash });
    const { emailMessageId } = await requestPasswordReset(db, 'refused@ca.test', 'en');
    const [resetMail] = await db.select({ props: emailMessages.props }).from(emailMessages).where(eq(emailMessages.id, emailMessageId!));
    const rawToken = new URL(String(resetMail!.props.resetUrl)).pathname.split('/').pop()!;
    await expect(resetPassword(db, rawToken, { password: 'short', passwordConfirmation: 'short' })).rejects.toThrow();
    expect(await changedMails('refused@ca.test')).toHaveLength(0);
  });

  it('names the active tenants only, and speaks the first tenant language when the user has none', async () => {
    await db.update(tenants).set({ defaultLocale: 'ja' }).where(eq(tenants.id, ca.id));
    try {
      const member = await addMember(db, ca, { email: 'nolocale@ca.test', firstName: 'Kei', lastName: 'Sato', passwordHash });
      const elsewhere = await addMember(db, globex, { email: 'nolocale@ca.test' });
      await db.update(tenantMembers).set({ status: 'deactivated' }).where(eq(tenantMembers.id, elsewhere.memberId));

      const id = await changePassword(member.userId, 'change');
      const [mail] = await db.select().from(emailMessages).where(eq(emailMessages.id, id));
      expect(mail).toMatchObject({ locale: 'ja', template: 'password-changed' });
      expect(mail!.props).toMatchObject({ method: 'change', tenantNames: ['CA'], recipientName: 'Sato Kei' });
    } finally {
      await db.update(tenants).set({ defaultLocale: 'en' }).where(eq(tenants.id, ca.id));
    }
  });

  it('falls back to the given language, then English, for a user in no tenant', async () => {
    const [operator] = await db
      .insert(users)
      .values({ email: 'operator@platform.test', firstName: 'Olivia', passwordHash, isPlatformOperator: true })
      .returning({ id: users.id });
    const ja = await db.transaction(async (tx) => {
      await tx.update(users).set({ passwordChangedAt: sql`now()` }).where(eq(users.id, operator!.id));
      return queuePasswordChangedEmail(tx, { userId: operator!.id, method: 'reset', fallbackLocale: 'ja' });
    });
    const en = await changePassword(operator!.id);
    const rows = await db.select().from(emailMessages).where(sql`${emailMessages.id} in (${ja}, ${en})`);
    expect(rows.map((r) => r.locale).sort()).toEqual(['en', 'ja']);
    for (const row of rows) expect(row.props.tenantNames).toEqual([]);
  });

  it('sends one message per change: the same change twice is one message, a later change another', async () => {
    const member = await addMember(db, ca, { email: 'twice@ca.test', passwordHash });
    const first = await db.transaction(async (tx) => {
      await tx.update(users).set({ passwordChangedAt: sql`now()` }).where(eq(users.id, member.userId));
      const a = await queuePasswordChangedEmail(tx, { userId: member.userId, method: 'change' });
      const b = await queuePasswordChangedEmail(tx, { userId: member.userId, method: 'change' });
      expect(b).toBe(a);
      return a;
    });
    const second = await changePassword(member.userId);
    expect(second).not.toBe(first);
    expect(await changedMails('twice@ca.test')).toHaveLength(2);
  });

  it('goes with the transaction: a rolled-back change sends nothing', async () => {
    const member = await addMember(db, ca, { email: 'rollback@ca.test', passwordHash });
    await expect(
      db.transaction(async (tx) => {
        await tx.update(users).set({ passwordChangedAt: sql`now()` }).where(eq(users.id, member.userId));
        await queuePasswordChangedEmail(tx, { userId: member.userId, method: 'change' });
        throw new Error('later step failed');
      }),
    ).rejects.toThrow('later step failed');
    expect(await changedMails('rollback@ca.test')).toHaveLength(0);
  });

  it('refuses to run before the password was set (a caller bug, not an email about nothing)', async () => {
    const member = await addMember(db, ca, { email: 'early@ca.test', passwordHash });
    await expect(db.transaction((tx) => queuePasswordChangedEmail(tx, { userId: member.userId, method: 'change' }))).rejects.toThrow(
      /passwordChangedAt is empty/,
    );
  });
});
