import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { sendEmail } from '@/lib/email/send';
import { addMember, createOperator, createTenantFixture } from '@/lib/testing/fixtures';
import { getMailboxMessage, listMailboxMessages, mailboxReaderOf } from './mailbox';

// The dev mailbox holds live registration links: each reader sees only their own mail and that of
// the tenants they administer (the operator sees all).
let tdb: TestDatabase;
let db: Database;
const ids: Record<string, string> = {};
const readers: Record<string, Awaited<ReturnType<typeof mailboxReaderOf>>> = {};

const reset = (to: string, tenantId: string | null) =>
  sendEmail(db, {
    to,
    template: 'password-reset',
    locale: 'en',
    tenantId,
    props: { resetUrl: 'http://localhost/reset-password/x', expiresAt: new Date() },
  });

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  const a = await createTenantFixture(db, { slug: 'a', orgPaths: ['A'] });
  const b = await createTenantFixture(db, { slug: 'b', orgPaths: ['B'] });
  const admin = await addMember(db, a, { email: 'admin@a.test', isTenantAdmin: true, orgs: [{ path: 'A' }] });
  const member = await addMember(db, a, { email: 'member@a.test', orgs: [{ path: 'A' }] });
  const operator = await createOperator(db, { email: 'op@platform.test' });
  ids.toInviteeOfA = await reset('invitee@a.test', a.id);
  ids.toInviteeOfB = await reset('invitee@b.test', b.id);
  ids.toMember = await reset('member@a.test', null);
  readers.admin = await mailboxReaderOf(db, { userId: admin.userId, email: admin.email, isPlatformOperator: false });
  readers.member = await mailboxReaderOf(db, { userId: member.userId, email: member.email, isPlatformOperator: false });
  readers.operator = await mailboxReaderOf(db, { userId: operator, email: 'op@platform.test', isPlatformOperator: true });
});

afterAll(async () => {
  await tdb?.drop();
});

const listed = async (reader: keyof typeof readers) => (await listMailboxMessages(db, readers[reader]!)).map((m) => m.toAddress).sort();

describe('dev mailbox visibility', () => {
  it("a tenant admin sees their tenant's mail, not another tenant's, nor someone's tenant-less mail", async () => {
    expect(await listed('admin')).toEqual(['invitee@a.test']);
    expect(await getMailboxMessage(db, readers.admin!, ids.toInviteeOfB!)).toBeNull();
    expect(await getMailboxMessage(db, readers.admin!, ids.toMember!)).toBeNull();
    expect((await getMailboxMessage(db, readers.admin!, ids.toInviteeOfA!))?.toAddress).toBe('invitee@a.test');
  });

  it('a plain member sees only mail addressed to them', async () => {
    expect(await listed('member')).toEqual(['member@a.test']);
    expect(await getMailboxMessage(db, readers.member!, ids.toInviteeOfA!)).toBeNull();
  });

  it('the platform operator sees everything', async () => {
    expect(await listed('operator')).toEqual(['invitee@a.test', 'invitee@b.test', 'member@a.test']);
  });
});
