import { randomBytes } from 'node:crypto';
import { and, desc, eq, sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { auditEvents, emailMessages, tenantMembers, userTokens, users } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import type { Actor } from '@/lib/actor';
import { authenticate } from '@/lib/auth/sign-in';
import { clearSignInFailures, type PasswordAttempt, THROTTLE } from '@/lib/auth/throttle';
import { DomainError, ForbiddenError, NotFoundError } from '@/lib/errors';
import { hashPassword, verifyPassword } from '@/lib/passwords';
import { hashSecret } from '@/lib/secret-hash';
import { dbFingerprint } from '@/lib/testing/db-fingerprint';
import { actorFor, addMember, createTenantFixture, type MemberFixture, type TenantFixture } from '@/lib/testing/fixtures';
import {
  completeRegistration,
  inspectToken,
  invitationStateOf,
  issueInvitation,
  listInvitations,
  requestPasswordReset,
  resendInvitation,
  resendInvitations,
  resetPassword,
  revokeInvitation,
  revokeInvitations,
  RESET_MAX_PER_HOUR,
} from './invitations';
import { adminScope, decideInScope } from './authz';

let tdb: TestDatabase;
let db: Database;
let redis: Redis;
/** Where password checks come from: an address of this run only (the Redis counters outlive test databases). */
let attempt: PasswordAttempt;
let ca: TenantFixture;
let other: TenantFixture;
const actors: Record<string, Actor> = {};
const m: Record<string, MemberFixture> = {};

const GOOD = 'correct horse battery staple';

/** The raw token of the newest email to `to` (as the invitee would read it from the email). */
async function tokenFromEmail(to: string, prop: 'registrationUrl' | 'resetUrl' = 'registrationUrl'): Promise<string> {
  const [msg] = await db
    .select({ props: emailMessages.props })
    .from(emailMessages)
    .where(eq(sql`lower(${emailMessages.toAddress})`, to.toLowerCase()))
    .orderBy(desc(emailMessages.createdAt), desc(sql`${emailMessages.id}`))
    .limit(1);
  const url = (msg?.props as Record<string, string> | undefined)?.[prop];
  if (!url) throw new Error(`no email with ${prop} to ${to}`);
  return new URL(url).pathname.split('/').pop()!;
}

async function invite(email: string, opts: { orgs?: { path: string }[]; send?: boolean; locale?: 'en' | 'ja'; tenant?: TenantFixture } = {}) {
  const tenant = opts.tenant ?? ca;
  const member = await addMember(db, tenant, { email, status: 'invited', orgs: opts.orgs ?? [{ path: 'CA__India' }], firstName: 'Ann', lastName: 'Lee', locale: opts.locale });
  const issued = await db.transaction((tx) =>
    issueInvitation(tx, {
      tenantId: tenant.id,
      memberId: member.memberId,
      invitedBy: { userId: m.ta!.userId, label: 'ta@ca.test', name: 'Tina Admin' },
      send: opts.send ?? true,
    }),
  );
  return { member, issued };
}

async function snapshot(memberId: string, userId: string) {
  const [u] = await db.select().from(users).where(eq(users.id, userId));
  const [mem] = await db.select().from(tenantMembers).where(eq(tenantMembers.id, memberId));
  const tokens = await db.select().from(userTokens).where(eq(userTokens.userId, userId)).orderBy(userTokens.createdAt);
  const [audit] = await db.select({ n: sql<number>`count(*)::int` }).from(auditEvents);
  return { u, mem, tokens, audits: audit!.n };
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'allowed';
  } catch (err) {
    if (err instanceof NotFoundError) return 'not_found';
    if (err instanceof ForbiddenError) return 'forbidden';
    if (err instanceof DomainError) return `${err.messageKey}${err.field ? `@${err.field}` : ''}`;
    throw err;
  }
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
  attempt = { redis, address: `invitations-test-${randomBytes(4).toString('hex')}` };
  // Account counters are per email, and these emails are the same in every run.
  for (const email of ['twice@ca.test', 'locked@other.test']) await clearSignInFailures(redis, email);
  ca = await createTenantFixture(db, { slug: 'ca', orgPaths: ['CA__India__HR', 'CA__US'] });
  other = await createTenantFixture(db, { slug: 'other', orgPaths: ['OTHER__Sales'] });
  m.ta = await addMember(db, ca, { email: 'ta@ca.test', isTenantAdmin: true, orgs: [{ path: 'CA' }], firstName: 'Tina', lastName: 'Admin' });
  m.oa = await addMember(db, ca, { email: 'oa@ca.test', orgs: [{ path: 'CA__India', isAdmin: true }] });
  m.plain = await addMember(db, ca, { email: 'plain@ca.test', orgs: [{ path: 'CA__India' }] });
  m.oth = await addMember(db, other, { email: 'oth@other.test', isTenantAdmin: true, orgs: [{ path: 'OTHER' }] });
  actors.ta = await actorFor(db, m.ta.userId, ca);
  actors.oa = await actorFor(db, m.oa.userId, ca);
  actors.plain = await actorFor(db, m.plain.userId, ca);
  actors.oth = await actorFor(db, m.oth.userId, other);
});

afterAll(async () => {
  await redis?.quit();
  await tdb?.drop();
});

describe('issueInvitation', () => {
  it('stores only the SHA-256 of a 32-byte token, expiring in 7 days, and queues the email in the invitee locale', async () => {
    const { member, issued } = await invite('new1@ca.test', { locale: 'ja' });
    const raw = await tokenFromEmail('new1@ca.test');
    expect(raw).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [row] = await db.select().from(userTokens).where(eq(userTokens.id, issued.invitationId));
    expect(row!.tokenHash).toBe(hashSecret(raw));
    expect(row!.tokenHash).not.toContain(raw);
    expect(JSON.stringify(row)).not.toContain(raw);
    expect(row!.emailSentAt).not.toBeNull();
    const days = (row!.expiresAt.getTime() - row!.createdAt.getTime()) / 86_400_000;
    expect(days).toBeCloseTo(7, 3);

    const [msg] = await db.select().from(emailMessages).where(eq(emailMessages.id, issued.emailMessageId!));
    expect(msg!.locale).toBe('ja');
    expect(msg!.idempotencyKey).toBe(`invitation-${issued.invitationId}`);
    expect(msg!.template).toBe('invitation');
    expect((msg!.props as Record<string, string>).registrationUrl).toMatch(/\/register\/[A-Za-z0-9_-]{43}(\?lang=(en|ja))?$/);
    expect((msg!.props as Record<string, string>).inviterName).toBe('Tina Admin');
    expect((msg!.props as Record<string, string>).recipientName).toBe('Lee Ann');

    const audits = await db.select().from(auditEvents).where(and(eq(auditEvents.action, 'invitation.send'), eq(auditEvents.targetId, member.memberId)));
    expect(audits).toHaveLength(1);
    expect(audits[0]!.orgIdPaths).toEqual([ca.org('CA__India').idPath]);
    expect(audits[0]!.actorLabel).toBe('ta@ca.test');
  });

  it('falls back to the tenant locale and, without send, queues nothing and records no send', async () => {
    const { member, issued } = await invite('quiet@ca.test', { send: false });
    expect(issued.emailMessageId).toBeNull();
    const state = await invitationStateOf(db, member.memberId);
    expect(state.state).toBe('not_sent');
    const audits = await db.select().from(auditEvents).where(eq(auditEvents.targetId, member.memberId));
    expect(audits).toHaveLength(0);
  });

  it('refuses a member who is not invited', async () => {
    await expect(refusal(db.transaction((tx) => issueInvitation(tx, { tenantId: ca.id, memberId: m.plain!.memberId, invitedBy: { userId: null, label: 'system', name: '' }, send: true })))).resolves.toBe('invitations.notInvited');
  });
});

describe('inspectToken', () => {
  it('reads without using anything up, and knows unknown tokens', async () => {
    await invite('scan@ca.test');
    const raw = await tokenFromEmail('scan@ca.test');
    const before = await dbFingerprint(db);
    for (let i = 0; i < 3; i++) {
      const info = await inspectToken(db, raw, 'invitation');
      expect(info).toMatchObject({ status: 'valid', email: 'scan@ca.test', firstName: 'Ann', lastName: 'Lee', tenantName: 'CA', tenantSlug: 'ca', hasPassword: false });
    }
    expect(await dbFingerprint(db)).toEqual(before);
    expect((await inspectToken(db, 'x'.repeat(43), 'invitation')).status).toBe('unknown');
    expect((await inspectToken(db, 'not a token', 'invitation')).status).toBe('unknown');
    // The right token of the wrong kind is unknown.
    expect((await inspectToken(db, raw, 'password_reset')).status).toBe('unknown');
  });
});

describe('completeRegistration', () => {
  it('activates the member, sets the password and names, uses the token once', async () => {
    const { member, issued } = await invite('reg@ca.test');
    const raw = await tokenFromEmail('reg@ca.test');
    const result = await completeRegistration(db, raw, { firstName: ' Alex ', lastName: 'Kim', password: GOOD, passwordConfirmation: GOOD }, attempt);
    expect(result).toEqual({ email: 'reg@ca.test', tenantSlug: 'ca' });
    const s = await snapshot(member.memberId, member.userId);
    expect(s.mem!.status).toBe('active');
    expect(s.u!.firstName).toBe('Alex');
    expect(s.u!.lastName).toBe('Kim');
    expect(s.u!.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(s.u!.passwordHash!, GOOD)).toBe(true);
    expect(s.u!.passwordChangedAt).not.toBeNull();
    expect(s.tokens.find((t) => t.id === issued.invitationId)!.usedAt).not.toBeNull();
    expect((await invitationStateOf(db, member.memberId)).state).toBe('accepted');
    expect((await inspectToken(db, raw, 'invitation')).status).toBe('used');

    const [audit] = await db.select().from(auditEvents).where(and(eq(auditEvents.action, 'invitation.accept'), eq(auditEvents.targetId, member.memberId)));
    expect(audit).toMatchObject({ actorUserId: member.userId, tenantId: ca.id, before: { status: 'invited' } });
    expect(audit!.after).toMatchObject({ status: 'active' });

    expect(await refusal(completeRegistration(db, raw, { firstName: 'X', lastName: 'Y', password: 'another good passphrase', passwordConfirmation: 'another good passphrase' }, attempt))).toBe('register.token.used');
    expect(await verifyPassword((await snapshot(member.memberId, member.userId)).u!.passwordHash!, GOOD)).toBe(true);
  });

  it('refuses expired, revoked and unknown links, changing nothing', async () => {
    const { member, issued } = await invite('exp@ca.test');
    const raw = await tokenFromEmail('exp@ca.test');
    await db.update(userTokens).set({ expiresAt: sql`now() - interval '1 minute'` }).where(eq(userTokens.id, issued.invitationId));
    expect((await inspectToken(db, raw, 'invitation')).status).toBe('expired');
    expect((await invitationStateOf(db, member.memberId)).state).toBe('expired');
    const before = await dbFingerprint(db);
    const input = { firstName: 'A', lastName: 'B', password: GOOD, passwordConfirmation: GOOD };
    expect(await refusal(completeRegistration(db, raw, input, attempt))).toBe('register.token.expired');
    expect(await refusal(completeRegistration(db, 'y'.repeat(43), input, attempt))).toBe('register.token.unknown');
    expect(await dbFingerprint(db)).toEqual(before);

    const { member: m2 } = await invite('rev@ca.test');
    const raw2 = await tokenFromEmail('rev@ca.test');
    await revokeInvitation(db, actors.ta!, m2.memberId);
    expect((await inspectToken(db, raw2, 'invitation')).status).toBe('revoked');
    expect((await invitationStateOf(db, m2.memberId)).state).toBe('revoked');
    expect(await refusal(completeRegistration(db, raw2, input, attempt))).toBe('register.token.revoked');
    expect((await snapshot(m2.memberId, m2.userId)).mem!.status).toBe('invited');
  });

  it('refuses each password problem on its field and changes nothing', async () => {
    await invite('rules.person@ca.test');
    const raw = await tokenFromEmail('rules.person@ca.test');
    const before = await dbFingerprint(db);
    const base = { firstName: 'A', lastName: 'B', password: GOOD, passwordConfirmation: GOOD };
    const cases: [Partial<typeof base>, string][] = [
      [{ password: 'short', passwordConfirmation: 'short' }, 'password.tooShort@password'],
      [{ password: 'password1234', passwordConfirmation: 'password1234' }, 'password.common@password'],
      [{ password: 'rules.person@ca.test', passwordConfirmation: 'rules.person@ca.test' }, 'password.containsEmail@password'],
      [{ passwordConfirmation: `${GOOD}!` }, 'password.mismatch@passwordConfirmation'],
      [{ firstName: '   ' }, 'register.nameRequired@firstName'],
      [{ lastName: '' }, 'register.nameRequired@lastName'],
      [{ lastName: 'x'.repeat(101) }, 'register.nameTooLong@lastName'],
    ];
    for (const [change, expected] of cases) {
      expect(await refusal(completeRegistration(db, raw, { ...base, ...change }, attempt))).toBe(expected);
    }
    expect(await dbFingerprint(db)).toEqual(before);
    expect((await inspectToken(db, raw, 'invitation')).status).toBe('valid');
  });

  it('does not reactivate a member deactivated meanwhile', async () => {
    const { member } = await invite('deact@ca.test');
    const raw = await tokenFromEmail('deact@ca.test');
    await db.update(tenantMembers).set({ status: 'deactivated' }).where(eq(tenantMembers.id, member.memberId));
    expect((await inspectToken(db, raw, 'invitation')).status).toBe('revoked');
    const before = await dbFingerprint(db);
    expect(await refusal(completeRegistration(db, raw, { firstName: 'A', lastName: 'B', password: GOOD, passwordConfirmation: GOOD }, attempt))).toBe('register.deactivated');
    expect(await dbFingerprint(db)).toEqual(before);
  });

  it('a user who registered elsewhere meanwhile confirms their current password instead', async () => {
    const { member } = await invite('twice@ca.test');
    const raw = await tokenFromEmail('twice@ca.test');
    // Registered through another tenant meanwhile.
    await db.update(users).set({ passwordHash: await hashPassword(GOOD), firstName: 'Own', lastName: 'Name' }).where(eq(users.id, member.userId));
    expect((await inspectToken(db, raw, 'invitation')).hasPassword).toBe(true);
    const before = await snapshot(member.memberId, member.userId);
    const unchanged = await dbFingerprint(db);
    expect(await refusal(completeRegistration(db, raw, { firstName: 'Z', lastName: 'Z', password: 'wrong password here', passwordConfirmation: '' }, attempt))).toBe('register.wrongPassword@password');
    expect(await dbFingerprint(db)).toEqual(unchanged);
    await completeRegistration(db, raw, { firstName: 'Z', lastName: 'Z', password: GOOD, passwordConfirmation: '' }, attempt);
    const after = await snapshot(member.memberId, member.userId);
    expect(after.mem!.status).toBe('active');
    expect(after.u!.firstName).toBe('Own');
    expect(after.u!.passwordHash).toBe(before.u!.passwordHash);
  });

  it('confirming an existing password is under the sign-in throttle: failures count, and once locked even the right one waits', async () => {
    const { member } = await invite('locked@other.test', { orgs: [{ path: 'OTHER__Sales' }], tenant: other });
    const raw = await tokenFromEmail('locked@other.test');
    await db.update(users).set({ passwordHash: await hashPassword(GOOD) }).where(eq(users.id, member.userId));
    const wrong = { firstName: '', lastName: '', password: 'not the password at all', passwordConfirmation: '' };
    for (let i = 0; i < THROTTLE.maxPerAccount; i++) {
      expect(await refusal(completeRegistration(db, raw, wrong, attempt))).toBe('register.wrongPassword@password');
    }
    const unchanged = await dbFingerprint(db);
    // From another address too: the account's counter is shared with sign-in.
    const elsewhere = { redis, address: `${attempt.address}-b` };
    expect(await refusal(completeRegistration(db, raw, { ...wrong, password: GOOD }, elsewhere))).toBe('register.throttled@password');
    expect(await authenticate(db, redis, { email: 'locked@other.test', password: GOOD, address: elsewhere.address })).toMatchObject({ ok: false, reason: 'throttled' });
    expect(await dbFingerprint(db)).toEqual(unchanged);
    await clearSignInFailures(redis, 'locked@other.test');
    await completeRegistration(db, raw, { ...wrong, password: GOOD }, attempt);
    expect((await invitationStateOf(db, member.memberId)).state).toBe('accepted');
  });
});

describe('resend and revoke', () => {
  it('resend makes a new token and the old one stops working', async () => {
    const { member } = await invite('again@ca.test', { orgs: [{ path: 'CA__India__HR' }], locale: 'ja' });
    const first = await tokenFromEmail('again@ca.test');
    await db.update(users).set({ firstName: 'Ollie', lastName: 'Admin' }).where(eq(users.id, m.oa!.userId));
    const resent = await resendInvitation(db, { ...actors.oa!, firstName: 'Ollie', lastName: 'Admin' }, member.memberId);
    expect(resent.emailMessageId).toBeTruthy();
    const second = await tokenFromEmail('again@ca.test');
    const [email] = await db.select().from(emailMessages).where(eq(emailMessages.id, resent.emailMessageId));
    // The invitee's locale (ja) orders the inviter's name: family name first.
    expect((email!.props as Record<string, string>).inviterName).toBe('Admin Ollie');
    expect(second).not.toBe(first);
    expect((await inspectToken(db, first, 'invitation')).status).toBe('revoked');
    expect((await inspectToken(db, second, 'invitation')).status).toBe('valid');
    const open = await db.select().from(userTokens).where(and(eq(userTokens.memberId, member.memberId), sql`${userTokens.revokedAt} is null`));
    expect(open).toHaveLength(1);
    const sends = await db.select().from(auditEvents).where(and(eq(auditEvents.action, 'invitation.send'), eq(auditEvents.targetId, member.memberId)));
    expect(sends).toHaveLength(2);
    expect(sends.some((a) => a.actorUserId === m.oa!.userId)).toBe(true);
    expect(await refusal(completeRegistration(db, first, { firstName: 'A', lastName: 'B', password: GOOD, passwordConfirmation: GOOD }, attempt))).toBe('register.token.revoked');
  });

  it('revoke is audited; a second revoke says there is nothing to revoke', async () => {
    const { member } = await invite('revoke2@ca.test');
    await revokeInvitation(db, actors.ta!, member.memberId);
    const audits = await db.select().from(auditEvents).where(and(eq(auditEvents.action, 'invitation.revoke'), eq(auditEvents.targetId, member.memberId)));
    expect(audits).toHaveLength(1);
    expect(audits[0]!.after).toEqual({ state: 'revoked' });
    expect(await refusal(revokeInvitation(db, actors.ta!, member.memberId))).toBe('invitations.nothingToRevoke');
  });

  it('refuses: outside the org admin scope, other tenant, plain member, non-invited member — changing nothing', async () => {
    const { member: us } = await invite('us.invitee@ca.test', { orgs: [{ path: 'CA__US' }] });
    const { member: oth } = await invite('oth.invitee@other.test', { orgs: [{ path: 'OTHER__Sales' }], tenant: other });
    const { member: india } = await invite('india.invitee@ca.test');
    const before = await dbFingerprint(db);
    expect(await refusal(resendInvitation(db, actors.oa!, us.memberId))).toBe('not_found');
    expect(await refusal(revokeInvitation(db, actors.oa!, us.memberId))).toBe('not_found');
    expect(await refusal(resendInvitation(db, actors.ta!, oth.memberId))).toBe('not_found');
    expect(await refusal(revokeInvitation(db, actors.ta!, oth.memberId))).toBe('not_found');
    // A plain member sees no one in the tenant (authz: everything in it is NOT FOUND).
    expect(await refusal(resendInvitation(db, actors.plain!, india.memberId))).toBe('not_found');
    expect(await refusal(revokeInvitation(db, actors.plain!, india.memberId))).toBe('not_found');
    expect(await refusal(resendInvitations(db, actors.plain!, [india.memberId]))).toBe('not_found');
    expect(await refusal(resendInvitation(db, actors.ta!, 'not-a-uuid'))).toBe('not_found');
    // Bulk: one refused id refuses the whole call.
    expect(await refusal(resendInvitations(db, actors.oa!, [india.memberId, us.memberId]))).toBe('not_found');
    expect(await refusal(revokeInvitations(db, actors.oa!, [india.memberId, us.memberId]))).toBe('not_found');
    expect(await refusal(revokeInvitations(db, actors.oth!, [oth.memberId, india.memberId]))).toBe('not_found');
    expect(await dbFingerprint(db)).toEqual(before);
    // Visible to the org admin but also a member outside their subtree: forbidden.
    const { member: both } = await invite('both.invitee@ca.test', { orgs: [{ path: 'CA__India' }, { path: 'CA__US' }] });
    expect(await refusal(resendInvitation(db, actors.oa!, both.memberId))).toBe('forbidden');
    expect(await refusal(revokeInvitation(db, actors.oa!, both.memberId))).toBe('forbidden');
    // An active member has no invitation to resend.
    expect(await refusal(resendInvitation(db, actors.ta!, m.plain!.memberId))).toBe('invitations.notInvited');
    expect(await refusal(revokeInvitation(db, actors.ta!, m.plain!.memberId))).toBe('invitations.notInvited');
  });

  it('bulk resend and revoke in one go; non-invited members are skipped', async () => {
    const a = await invite('bulk.a@ca.test');
    const b = await invite('bulk.b@ca.test', { send: false });
    const res = await resendInvitations(db, actors.oa!, [a.member.memberId, b.member.memberId, m.plain!.memberId, a.member.memberId]);
    expect(res).toMatchObject({ resent: 2, skipped: 1 });
    expect(res.emailMessageIds).toHaveLength(2);
    expect((await invitationStateOf(db, b.member.memberId)).state).toBe('pending');
    const rev = await revokeInvitations(db, actors.oa!, [a.member.memberId, b.member.memberId, m.plain!.memberId]);
    expect(rev).toEqual({ revoked: 2, skipped: 1 });
    expect((await invitationStateOf(db, a.member.memberId)).state).toBe('revoked');
  });
});

describe('listInvitations', () => {
  it('lists the latest invitation per member, filtered by state and by scope', async () => {
    const ta = await adminScope(db, actors.ta!);
    const oa = await adminScope(db, actors.oa!);
    const all = await listInvitations(db, ta, {});
    const emails = all.rows.map((r) => r.email);
    expect(emails).toContain('us.invitee@ca.test');
    expect(emails).not.toContain('oth.invitee@other.test');
    // Latest only: one row per member even after a resend.
    expect(emails.filter((e) => e === 'again@ca.test')).toHaveLength(1);
    expect(all.total).toBe(all.rows.length);

    const scoped = await listInvitations(db, oa, {});
    expect(scoped.rows.map((r) => r.email)).not.toContain('us.invitee@ca.test');
    expect(scoped.rows.map((r) => r.email)).toContain('again@ca.test');
    expect(scoped.rows.find((r) => r.email === 'again@ca.test')!.orgPaths).toEqual(['CA__India__HR']);

    const accepted = await listInvitations(db, ta, { state: 'accepted' });
    expect(accepted.rows.map((r) => r.email).sort()).toEqual(['reg@ca.test', 'twice@ca.test']);
    const expired = await listInvitations(db, ta, { state: 'expired' });
    expect(expired.rows.map((r) => r.email)).toEqual(['exp@ca.test']);
    const notSent = await listInvitations(db, ta, { state: 'not_sent' });
    expect(notSent.rows.map((r) => r.email)).toContain('quiet@ca.test');
    const pending = await listInvitations(db, ta, { state: 'pending' });
    expect(pending.rows.every((r) => r.state === 'pending')).toBe(true);
    expect(pending.rows.map((r) => r.email)).toContain('again@ca.test');

    expect(await listInvitations(db, { kind: 'none' }, {})).toMatchObject({ rows: [], total: 0 });
  });

  it('gives each row the facts to decide resend/revoke as authorize would (checkboxes only where allowed)', async () => {
    const inside = await invite('inside.only@ca.test', { orgs: [{ path: 'CA__India__HR' }] });
    const both = await invite('also.outside@ca.test', { orgs: [{ path: 'CA__India' }, { path: 'CA__US' }] });
    const oa = await adminScope(db, actors.oa!);
    const rows = (await listInvitations(db, oa, {})).rows;
    const row = (memberId: string) => rows.find((r) => r.memberId === memberId)!;
    const decision = (memberId: string) => {
      const r = row(memberId);
      return decideInScope(actors.oa!, oa, 'member.edit', { type: 'member', tenantId: ca.id, isTenantAdmin: r.isTenantAdmin, orgIdPaths: r.orgIdPaths });
    };
    // The out-of-scope org is a fact for the decision but is never named on screen.
    expect(row(both.member.memberId).orgPaths).toEqual(['CA__India']);
    expect(row(both.member.memberId).orgIdPaths).toHaveLength(2);
    expect(decision(inside.member.memberId)).toBe('allow');
    expect(decision(both.member.memberId)).toBe('forbidden');
    // The same answers as the actions themselves.
    await expect(revokeInvitation(db, actors.oa!, both.member.memberId)).rejects.toThrow(ForbiddenError);
    await expect(revokeInvitation(db, actors.oa!, inside.member.memberId)).resolves.toEqual({ revoked: 1 });
  });
});

describe('password reset', () => {
  it('sends a one-hour link only to registered users, answering the same for everyone', async () => {
    const reg = await addMember(db, ca, { email: 'Forgetful@ca.test', firstName: 'For', lastName: 'Getful', passwordHash: await hashPassword(GOOD) });
    const unknown = await requestPasswordReset(db, 'nobody@nowhere.test', 'en');
    const unregistered = await requestPasswordReset(db, 'quiet@ca.test', 'en');
    expect(unknown).toEqual({ emailMessageId: null });
    expect(unregistered).toEqual({ emailMessageId: null });
    const [none] = await db.select({ n: sql<number>`count(*)::int` }).from(userTokens).where(eq(userTokens.kind, 'password_reset'));
    expect(none!.n).toBe(0);

    const sent = await requestPasswordReset(db, ' forgetful@CA.test ', 'ja');
    expect(sent.emailMessageId).toBeTruthy();
    const [msg] = await db.select().from(emailMessages).where(eq(emailMessages.id, sent.emailMessageId!));
    expect(msg).toMatchObject({ template: 'password-reset', locale: 'ja', toAddress: 'Forgetful@ca.test' });
    const raw = await tokenFromEmail('forgetful@ca.test', 'resetUrl');
    const [tok] = await db.select().from(userTokens).where(eq(userTokens.tokenHash, hashSecret(raw)));
    expect(tok!.kind).toBe('password_reset');
    expect(tok!.tenantId).toBeNull();
    expect((tok!.expiresAt.getTime() - tok!.createdAt.getTime()) / 60_000).toBeCloseTo(60, 3);
    expect(await inspectToken(db, raw, 'password_reset')).toMatchObject({ status: 'valid', email: 'Forgetful@ca.test' });

    // A second request revokes the first link.
    await requestPasswordReset(db, 'forgetful@ca.test', 'en');
    const raw2 = await tokenFromEmail('forgetful@ca.test', 'resetUrl');
    expect((await inspectToken(db, raw, 'password_reset')).status).toBe('revoked');

    // Rules, then success.
    const before = await snapshot(reg.memberId, reg.userId);
    const unchanged = await dbFingerprint(db);
    expect(await refusal(resetPassword(db, raw2, { password: 'short', passwordConfirmation: 'short' }))).toBe('password.tooShort@password');
    expect(await refusal(resetPassword(db, raw2, { password: 'brand new passphrase', passwordConfirmation: 'brand new passphrase?' }))).toBe('password.mismatch@passwordConfirmation');
    expect(await refusal(resetPassword(db, raw, { password: 'brand new passphrase', passwordConfirmation: 'brand new passphrase' }))).toBe('passwordReset.token.revoked');
    expect(await dbFingerprint(db)).toEqual(unchanged);

    expect(await resetPassword(db, raw2, { password: 'brand new passphrase', passwordConfirmation: 'brand new passphrase' })).toEqual({ email: 'Forgetful@ca.test' });
    const after = await snapshot(reg.memberId, reg.userId);
    expect(await verifyPassword(after.u!.passwordHash!, 'brand new passphrase')).toBe(true);
    expect(after.u!.passwordChangedAt!.getTime()).toBeGreaterThan(before.u!.passwordChangedAt?.getTime() ?? 0);
    expect((await inspectToken(db, raw2, 'password_reset')).status).toBe('used');
    expect(await refusal(resetPassword(db, raw2, { password: 'yet another passphrase', passwordConfirmation: 'yet another passphrase' }))).toBe('passwordReset.token.used');
    const [audit] = await db.select().from(auditEvents).where(and(eq(auditEvents.action, 'user.passwordReset'), eq(auditEvents.targetId, reg.userId)));
    expect(audit).toMatchObject({ tenantId: null, actorUserId: reg.userId, targetType: 'user' });

    // An expired link.
    await requestPasswordReset(db, 'forgetful@ca.test', 'en');
    const raw3 = await tokenFromEmail('forgetful@ca.test', 'resetUrl');
    await db.update(userTokens).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(userTokens.tokenHash, hashSecret(raw3)));
    expect(await refusal(resetPassword(db, raw3, { password: 'yet another passphrase', passwordConfirmation: 'yet another passphrase' }))).toBe('passwordReset.token.expired');
  });

  it('is throttled per user: beyond the hourly limit nothing is sent, with the same answer', async () => {
    await addMember(db, ca, { email: 'spam@ca.test', passwordHash: await hashPassword(GOOD) });
    const results = [];
    for (let i = 0; i < RESET_MAX_PER_HOUR + 2; i++) results.push(await requestPasswordReset(db, 'spam@ca.test', 'en'));
    expect(results.filter((r) => r.emailMessageId !== null)).toHaveLength(RESET_MAX_PER_HOUR);
    const [u] = await db.select({ id: users.id }).from(users).where(eq(users.email, 'spam@ca.test'));
    const [count] = await db.select({ n: sql<number>`count(*)::int` }).from(userTokens).where(eq(userTokens.userId, u!.id));
    expect(count!.n).toBe(RESET_MAX_PER_HOUR);
  });
});
