import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { apiTokens, auditEvents, tenantMembers } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import type { Actor } from '@/lib/actor';
import { ForbiddenError, NotFoundError } from '@/lib/errors';
import { dbFingerprint } from '@/lib/testing/db-fingerprint';
import { expectRefused, type RefusalKind } from '@/lib/testing/refusals';
import { actorFor, addMember, createOperator, createTenantFixture, type TenantFixture } from '@/lib/testing/fixtures';
import { hashSecret } from '@/lib/secret-hash';
import { authenticateApiToken, bearerSecret, createApiToken, listApiTokens, revokeApiToken } from './api-tokens';

let tdb: TestDatabase;
let db: Database;
let seq = 0;

interface World {
  ca: TenantFixture;
  other: TenantFixture;
  ta: Actor;
  ta2: Actor; // a second tenant admin of CA
  ta2MemberId: string;
  oa: Actor; // administrator of CA__India
  mem: Actor;
  otherTa: Actor;
  operator: Actor;
}

async function world(): Promise<World> {
  const n = ++seq;
  const ca = await createTenantFixture(db, { slug: `ca${n}`, name: 'CA', orgPaths: ['CA__India__HR'] });
  const other = await createTenantFixture(db, { slug: `other${n}`, name: 'OTHER' });
  const ta = await addMember(db, ca, { email: `ta${n}@ca.test`, isTenantAdmin: true, orgs: [{ path: 'CA' }] });
  const ta2 = await addMember(db, ca, { email: `ta2-${n}@ca.test`, isTenantAdmin: true, orgs: [{ path: 'CA' }] });
  const oa = await addMember(db, ca, { email: `oa${n}@ca.test`, orgs: [{ path: 'CA__India', isAdmin: true }] });
  const mem = await addMember(db, ca, { email: `mem${n}@ca.test`, orgs: [{ path: 'CA__India__HR' }] });
  const oth = await addMember(db, other, { email: `oth${n}@other.test`, isTenantAdmin: true, orgs: [{ path: 'OTHER' }] });
  const operatorId = await createOperator(db, { email: `op${n}@tenantry.test` });
  return {
    ca,
    other,
    ta: await actorFor(db, ta.userId, ca),
    ta2: await actorFor(db, ta2.userId, ca),
    ta2MemberId: ta2.memberId,
    oa: await actorFor(db, oa.userId, ca),
    mem: await actorFor(db, mem.userId, ca),
    otherTa: await actorFor(db, oth.userId, other),
    operator: await actorFor(db, operatorId),
  };
}

/** Asserts the call is refused as `kind` and changed nothing at all. */
const refused = async (call: () => Promise<unknown>, kind: RefusalKind) => void (await expectRefused(db, call, kind));

const bearer = (secret: string) => `Bearer ${secret}`;

async function tokenRow(id: string) {
  const [row] = await db.select().from(apiTokens).where(eq(apiTokens.id, id));
  if (!row) throw new Error('token row missing');
  return row;
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
});

afterAll(async () => {
  await tdb?.drop();
});

describe('createApiToken', () => {
  it('returns the secret once and stores only its SHA-256, a prefix and the owner', async () => {
    const w = await world();
    const { secret, token } = await createApiToken(db, w.ta, { name: '  Cloud console  ', expiresInDays: 90 });
    expect(secret).toMatch(/^tnt_[A-Za-z0-9_-]{43}$/);
    expect(token).toMatchObject({ name: 'Cloud console', prefix: secret.slice(0, 12), state: 'active', owner: { email: w.ta.email } });
    expect(token.prefix).toHaveLength(12);

    const row = await tokenRow(token.id);
    expect(row.tokenHash).toBe(hashSecret(secret));
    expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.memberId).toBe(w.ta.memberId);
    expect(row.tenantId).toBe(w.ca.id);
    // The secret is nowhere in the row, nor in the audit log (only its first 12 characters, the prefix).
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(JSON.stringify(row)).not.toContain(secret.slice(12));
    const events = await db.select().from(auditEvents).where(eq(auditEvents.targetId, token.id));
    expect(JSON.stringify(events)).not.toContain(secret.slice(12));
    expect(JSON.stringify(events)).not.toContain(row.tokenHash);

    // About 90 days from now (the database's clock).
    const days = (row.expiresAt!.getTime() - row.createdAt.getTime()) / 86_400_000;
    expect(days).toBeCloseTo(90, 3);
  });

  it('creates tokens that never expire, each with its own secret', async () => {
    const w = await world();
    const a = await createApiToken(db, w.ta, { name: 'HR sync' });
    const b = await createApiToken(db, w.ta, { name: 'HR sync', expiresInDays: null });
    expect(a.secret).not.toBe(b.secret);
    expect((await tokenRow(a.token.id)).expiresAt).toBeNull();
    expect((await tokenRow(b.token.id)).expiresAt).toBeNull();
  });

  it('audits apiToken.create with name, prefix, owner and expiry (never the secret)', async () => {
    const w = await world();
    const { token } = await createApiToken(db, w.ta, { name: 'Audit me', expiresInDays: 30 });
    const [event] = await db.select().from(auditEvents).where(eq(auditEvents.targetId, token.id));
    expect(event).toMatchObject({
      tenantId: w.ca.id,
      action: 'apiToken.create',
      actorUserId: w.ta.userId,
      targetType: 'apiToken',
      before: null,
      after: { name: 'Audit me', prefix: token.prefix, owner: w.ta.email, expiresAt: token.expiresAt!.toISOString() },
    });
  });

  it('refuses bad names and expiries, changing nothing', async () => {
    const w = await world();
    await refused(() => createApiToken(db, w.ta, { name: '   ' }), { key: 'apiTokens.errors.nameRequired', field: 'name' });
    await refused(() => createApiToken(db, w.ta, { name: 'x'.repeat(101) }), { key: 'apiTokens.errors.nameTooLong', field: 'name' });
    await refused(() => createApiToken(db, w.ta, { name: 'a\u0007b' }), { key: 'apiTokens.errors.nameInvalid', field: 'name' });
    await refused(() => createApiToken(db, w.ta, { name: 'ok', expiresInDays: 7 as 30 }), { key: 'apiTokens.errors.expiry', field: 'expiresIn' });
    // 100 characters (counted as characters, like the table) are fine.
    await createApiToken(db, w.ta, { name: '日'.repeat(100) });
  });

  it('refuses org admins and members (forbidden), platform operators without a tenant (not found)', async () => {
    const w = await world();
    await refused(() => createApiToken(db, w.oa, { name: 'x' }), ForbiddenError);
    await refused(() => createApiToken(db, w.mem, { name: 'x' }), ForbiddenError);
    await refused(() => createApiToken(db, w.operator, { name: 'x' }), NotFoundError);
  });
});

describe('authenticateApiToken', () => {
  it('resolves a good token to its tenant and an actor for its owner, recording the use', async () => {
    const w = await world();
    const { secret, token } = await createApiToken(db, w.ta, { name: 'ok' });
    const auth = await authenticateApiToken(db, bearer(secret));
    expect(auth).not.toBeNull();
    expect(auth!.tokenId).toBe(token.id);
    expect(auth!.tenant).toEqual({ id: w.ca.id, slug: w.ca.slug, name: w.ca.name });
    expect(auth!.actor).toMatchObject({ userId: w.ta.userId, memberId: w.ta.memberId, isTenantAdmin: true, tenant: { id: w.ca.id } });
    expect((await tokenRow(token.id)).lastUsedAt).not.toBeNull();
    // The scheme is case-insensitive.
    expect(await authenticateApiToken(db, `bearer ${secret}`)).not.toBeNull();
  });

  it('writes last_used_at at most once a minute', async () => {
    const w = await world();
    const { secret, token } = await createApiToken(db, w.ta, { name: 'ok' });
    await authenticateApiToken(db, bearer(secret));
    const first = (await tokenRow(token.id)).lastUsedAt!;
    await authenticateApiToken(db, bearer(secret));
    await authenticateApiToken(db, bearer(secret));
    expect((await tokenRow(token.id)).lastUsedAt).toEqual(first);
    // Two minutes later (in the caller's clock and the row's), it is written again.
    await db.update(apiTokens).set({ lastUsedAt: sql`now() - interval '2 minutes'` }).where(eq(apiTokens.id, token.id));
    const old = (await tokenRow(token.id)).lastUsedAt!;
    await authenticateApiToken(db, bearer(secret));
    expect((await tokenRow(token.id)).lastUsedAt!.getTime()).toBeGreaterThan(old.getTime());
  });

  it('is null for missing, malformed and unknown tokens, without writing anything', async () => {
    const w = await world();
    const { secret } = await createApiToken(db, w.ta, { name: 'ok' });
    const before = await dbFingerprint(db);
    for (const header of [
      null,
      undefined,
      '',
      'Bearer',
      'Bearer ',
      secret, // no scheme
      `Basic ${secret}`,
      `Bearer ${secret} extra`,
      `Bearer ${secret.slice(0, -1)}`, // one character short
      `Bearer ${secret}x`,
      `Bearer ${secret.replace('tnt_', 'tnx_')}`,
      `Bearer tnt_${'A'.repeat(43)}`, // well-formed, unknown
      `Bearer ${hashSecret(secret)}`, // the stored hash is not a credential
      `Bearer ${'x'.repeat(10_000)}`,
    ]) {
      expect(await authenticateApiToken(db, header), String(header).slice(0, 40)).toBeNull();
    }
    expect(await dbFingerprint(db)).toEqual(before);
    expect(bearerSecret(`Bearer   ${secret}  `)).toBe(secret);
  });

  it('is null for revoked and expired tokens', async () => {
    const w = await world();
    const revoked = await createApiToken(db, w.ta, { name: 'revoked' });
    await revokeApiToken(db, w.ta, revoked.token.id);
    expect(await authenticateApiToken(db, bearer(revoked.secret))).toBeNull();

    const expired = await createApiToken(db, w.ta, { name: 'expired', expiresInDays: 30 });
    await db.update(apiTokens).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(apiTokens.id, expired.token.id));
    expect(await authenticateApiToken(db, bearer(expired.secret))).toBeNull();
    // Expiry is judged at the time of the request.
    const soon = await createApiToken(db, w.ta, { name: 'soon', expiresInDays: 30 });
    expect(await authenticateApiToken(db, bearer(soon.secret), new Date(Date.now() + 31 * 86_400_000))).toBeNull();
    expect(await authenticateApiToken(db, bearer(soon.secret))).not.toBeNull();
  });

  it('is null when the owner is deactivated or removed, and works again on reactivation', async () => {
    const w = await world();
    const { secret } = await createApiToken(db, w.ta2, { name: 'owner goes' });
    await db.update(tenantMembers).set({ status: 'deactivated' }).where(eq(tenantMembers.id, w.ta2MemberId));
    expect(await authenticateApiToken(db, bearer(secret))).toBeNull();
    await db.update(tenantMembers).set({ status: 'active' }).where(eq(tenantMembers.id, w.ta2MemberId));
    expect(await authenticateApiToken(db, bearer(secret))).not.toBeNull();
    // Removing the member removes their tokens (cascade): unknown from then on.
    await db.delete(tenantMembers).where(eq(tenantMembers.id, w.ta2MemberId));
    expect(await authenticateApiToken(db, bearer(secret))).toBeNull();
  });

  it('acts with the owner\'s rights of now: a demoted owner authenticates but is no tenant admin', async () => {
    const w = await world();
    const { secret } = await createApiToken(db, w.ta2, { name: 'demoted' });
    await db.update(tenantMembers).set({ isTenantAdmin: false }).where(eq(tenantMembers.id, w.ta2MemberId));
    const auth = await authenticateApiToken(db, bearer(secret));
    expect(auth?.actor.isTenantAdmin).toBe(false);
  });
});

describe('listApiTokens', () => {
  it('lists the tenant\'s tokens newest first with owner and state, never the hash', async () => {
    const w = await world();
    const active = await createApiToken(db, w.ta, { name: 'active', expiresInDays: 365 });
    const byOther = await createApiToken(db, w.ta2, { name: 'by ta2' });
    const expired = await createApiToken(db, w.ta, { name: 'expired', expiresInDays: 30 });
    await db.update(apiTokens).set({ expiresAt: sql`now() - interval '1 day'` }).where(eq(apiTokens.id, expired.token.id));
    const revoked = await createApiToken(db, w.ta, { name: 'revoked' });
    await revokeApiToken(db, w.ta2, revoked.token.id);
    await createApiToken(db, w.otherTa, { name: 'other tenant' });

    const list = await listApiTokens(db, w.ta);
    expect(list.map((t) => [t.name, t.state, t.owner.email])).toEqual([
      ['revoked', 'revoked', w.ta.email],
      ['expired', 'expired', w.ta.email],
      ['by ta2', 'active', w.ta2.email],
      ['active', 'active', w.ta.email],
    ]);
    expect(list[3]).toMatchObject({ id: active.token.id, prefix: active.secret.slice(0, 12), lastUsedAt: null, revokedAt: null });
    expect(list[2]!.id).toBe(byOther.token.id);
    expect(JSON.stringify(list)).not.toMatch(/tokenHash|[0-9a-f]{64}/);
  });

  it('refuses org admins and members (forbidden); another tenant\'s admin sees only their own tenant', async () => {
    const w = await world();
    await createApiToken(db, w.ta, { name: 'ca token' });
    await expect(listApiTokens(db, w.oa)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(listApiTokens(db, w.mem)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(listApiTokens(db, w.operator)).rejects.toBeInstanceOf(NotFoundError);
    expect(await listApiTokens(db, w.otherTa)).toEqual([]);
  });
});

describe('revokeApiToken', () => {
  it('revokes at once and audits apiToken.revoke (state open → revoked)', async () => {
    const w = await world();
    const { secret, token } = await createApiToken(db, w.ta2, { name: 'To revoke', expiresInDays: 30 });
    expect(await revokeApiToken(db, w.ta, token.id)).toEqual({ name: 'To revoke', prefix: token.prefix });
    expect((await tokenRow(token.id)).revokedAt).not.toBeNull();
    expect(await authenticateApiToken(db, bearer(secret))).toBeNull();
    const events = await db.select().from(auditEvents).where(eq(auditEvents.targetId, token.id)).orderBy(asc(auditEvents.id));
    expect(events.map((e) => e.action)).toEqual(['apiToken.create', 'apiToken.revoke']);
    const snapshot = { name: 'To revoke', prefix: token.prefix, owner: w.ta2.email, expiresAt: token.expiresAt!.toISOString() };
    expect(events[1]).toMatchObject({ actorUserId: w.ta.userId, before: { ...snapshot, state: 'open' }, after: { ...snapshot, state: 'revoked' } });
    expect(JSON.stringify(events)).not.toContain(secret.slice(12));
  });

  it('refuses a second revoke with a clear message, changing nothing', async () => {
    const w = await world();
    const { token } = await createApiToken(db, w.ta, { name: 'once' });
    await revokeApiToken(db, w.ta, token.id);
    await refused(() => revokeApiToken(db, w.ta, token.id), { key: 'apiTokens.errors.alreadyRevoked', field: undefined });
  });

  it('answers not found for another tenant\'s token, unknown and malformed ids; forbidden for org admins and members', async () => {
    const w = await world();
    const { secret, token } = await createApiToken(db, w.ta, { name: 'ca token' });
    await refused(() => revokeApiToken(db, w.otherTa, token.id), NotFoundError);
    await refused(() => revokeApiToken(db, w.ta, '00000000-0000-4000-8000-000000000000'), NotFoundError);
    await refused(() => revokeApiToken(db, w.ta, 'not-a-uuid'), NotFoundError);
    await refused(() => revokeApiToken(db, w.oa, token.id), ForbiddenError);
    await refused(() => revokeApiToken(db, w.mem, token.id), ForbiddenError);
    await refused(() => revokeApiToken(db, w.operator, token.id), NotFoundError);
    expect(await authenticateApiToken(db, bearer(secret))).not.toBeNull();
  });
});
