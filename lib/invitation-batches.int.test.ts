import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Database } from '@/db/client';
import { auditEvents, emailMessages, invitationBatches, invitationBatchItems, orgMemberships, tenantMembers, userTokens } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import type { Actor } from '@/lib/actor';
import { adminScope, type AdminScope } from '@/lib/authz';
import { ForbiddenError, NotFoundError } from '@/lib/errors';
import { expectRefused, failure } from '@/lib/testing/refusals';
import { actorFor, addMember, createTenantFixture, type MemberFixture, type TenantFixture } from '@/lib/testing/fixtures';
import { startWorkers } from '@/workers/index';
import { tearDownQueues, waitFor } from '@/workers/testing';
import {
  BATCH_CHUNK,
  listRecentBatches,
  loadBatchProgress,
  runBatchChunk,
  runInvitationBatch,
  startInvitationBatch,
} from './invitation-batches';
import { inspectToken, INVITATIONS_PAGE_SIZE, issueInvitation, listInvitations } from './invitations';

// Own BullMQ key space for this file: set before anything reads the environment.
vi.hoisted(() => {
  process.env.QUEUE_PREFIX = `test-invitation-batches-${process.pid}-${Date.now()}`;
  delete process.env.RESEND_API_KEY;
});

let tdb: TestDatabase;
let db: Database;
let ca: TenantFixture;
let other: TenantFixture;
const actors: Record<'ta' | 'oa' | 'plain' | 'oth', Actor> = {} as never;
const scopes: Record<'ta' | 'oa' | 'oth', AdminScope> = {} as never;
let taUserId: string;

/** An invited member with an invitation (sent unless `send: false`). */
async function invite(email: string, o: { tenant?: TenantFixture; orgs?: string[]; send?: boolean; firstName?: string; lastName?: string } = {}): Promise<MemberFixture> {
  const tenant = o.tenant ?? ca;
  const m = await addMember(db, tenant, { email, status: 'invited', orgs: (o.orgs ?? [`${tenant.name}__India`]).map((path) => ({ path })), firstName: o.firstName ?? 'Test', lastName: o.lastName ?? email.split('@')[0]! });
  await db.transaction((tx) => issueInvitation(tx, { tenantId: tenant.id, memberId: m.memberId, invitedBy: { userId: taUserId, label: 'ta@ca.test', name: 'Tina Admin' }, send: o.send ?? true }));
  return m;
}

/** The raw tokens of every invitation email to `email`, oldest first (as the invitee reads them). */
async function linksTo(email: string): Promise<string[]> {
  const rows = await db
    .select({ props: emailMessages.props })
    .from(emailMessages)
    .where(eq(emailMessages.toAddress, email))
    .orderBy(emailMessages.createdAt, emailMessages.id);
  return rows.map((r) => new URL(String((r.props as { registrationUrl: string }).registrationUrl)).pathname.split('/').pop()!);
}

async function tokensOf(memberId: string) {
  return db.select().from(userTokens).where(eq(userTokens.memberId, memberId)).orderBy(userTokens.createdAt, userTokens.id);
}

async function batchRow(id: string) {
  return (await db.select().from(invitationBatches).where(eq(invitationBatches.id, id)))[0]!;
}

const emails = (rows: { email: string }[]) => rows.map((r) => r.email).sort();

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  ca = await createTenantFixture(db, { slug: 'ca', orgPaths: ['CA__India__HR', 'CA__US'] });
  other = await createTenantFixture(db, { slug: 'other', orgPaths: ['OTHER__Sales'] });
  const ta = await addMember(db, ca, { email: 'ta@ca.test', isTenantAdmin: true, orgs: [{ path: 'CA' }], firstName: 'Tina', lastName: 'Admin' });
  taUserId = ta.userId;
  const oa = await addMember(db, ca, { email: 'oa@ca.test', orgs: [{ path: 'CA__India', isAdmin: true }] });
  const plain = await addMember(db, ca, { email: 'plain@ca.test', orgs: [{ path: 'CA__India' }] });
  const oth = await addMember(db, other, { email: 'oth@other.test', isTenantAdmin: true, orgs: [{ path: 'OTHER' }] });
  actors.ta = await actorFor(db, ta.userId, ca);
  actors.oa = await actorFor(db, oa.userId, ca);
  actors.plain = await actorFor(db, plain.userId, ca);
  actors.oth = await actorFor(db, oth.userId, other);
  scopes.ta = await adminScope(db, actors.ta);
  scopes.oa = await adminScope(db, actors.oa);
  scopes.oth = await adminScope(db, actors.oth);
});

afterAll(async () => {
  await tearDownQueues();
  await tdb?.drop();
});

describe('the console list (listInvitations)', () => {
  it('is scoped: a tenant admin sees the tenant, an org admin their subtree, nobody another tenant', async () => {
    await invite('india1@ca.test');
    await invite('hr1@ca.test', { orgs: ['CA__India__HR'] });
    await invite('us1@ca.test', { orgs: ['CA__US'] });
    await invite('foreign1@other.test', { tenant: other, orgs: ['OTHER__Sales'] });
    const all = emails((await listInvitations(db, scopes.ta)).rows);
    expect(all).toEqual(expect.arrayContaining(['india1@ca.test', 'hr1@ca.test', 'us1@ca.test']));
    expect(all).not.toContain('foreign1@other.test');
    const scoped = emails((await listInvitations(db, scopes.oa)).rows);
    expect(scoped).toEqual(expect.arrayContaining(['india1@ca.test', 'hr1@ca.test']));
    expect(scoped).not.toContain('us1@ca.test');
    expect(emails((await listInvitations(db, scopes.oth)).rows)).toEqual(['foreign1@other.test']);
    expect(await listInvitations(db, { kind: 'none' })).toMatchObject({ rows: [], total: 0 });
  });

  it('searches by email, first, last and full name (Japanese written without a space too), within the scope', async () => {
    await invite('hanako.yamada@ca.test', { firstName: '花子', lastName: '山田' });
    await invite('grace@ca.test', { firstName: 'Grace', lastName: 'Hopper', orgs: ['CA__US'] });
    const find = async (scope: AdminScope, q: string) => emails((await listInvitations(db, scope, { q })).rows);
    expect(await find(scopes.ta, 'hanako.y')).toEqual(['hanako.yamada@ca.test']);
    expect(await find(scopes.ta, '山田')).toEqual(['hanako.yamada@ca.test']);
    expect(await find(scopes.ta, '山田花')).toEqual(['hanako.yamada@ca.test']);
    expect(await find(scopes.ta, '山田 花子')).toEqual(['hanako.yamada@ca.test']);
    expect(await find(scopes.ta, 'ＧＲＡＣＥ')).toEqual(['grace@ca.test']);
    expect(await find(scopes.ta, 'grace hop')).toEqual(['grace@ca.test']);
    expect(await find(scopes.ta, 'hopper grace')).toEqual(['grace@ca.test']);
    expect(await find(scopes.ta, '100%_')).toEqual([]);
    // Grace is in CA__US: outside the India admin's scope, even by exact search.
    expect(await find(scopes.oa, 'grace')).toEqual([]);
    expect(await find(scopes.oth, 'grace')).toEqual([]);
  });

  it('pages by keyset without overlap or gap, forward and back, even when invitations share one timestamp', async () => {
    // One transaction: now() is the same for every token (as an import issues them).
    await db.transaction(async (tx) => {
      for (let i = 0; i < 2 * INVITATIONS_PAGE_SIZE + 7; i++) {
        const m = await addMember(tx, ca, { email: `page${String(i).padStart(3, '0')}@ca.test`, status: 'invited', orgs: [{ path: 'CA__US' }] });
        await issueInvitation(tx, { tenantId: ca.id, memberId: m.memberId, invitedBy: { userId: taUserId, label: 'ta', name: 'Tina' }, send: true });
      }
    });
    const first = await listInvitations(db, scopes.ta, { q: 'page' });
    expect(first.total).toBe(2 * INVITATIONS_PAGE_SIZE + 7);
    const seen = [...first.rows];
    let current = first;
    for (let page = 2; current.rows.length === INVITATIONS_PAGE_SIZE; page++) {
      current = await listInvitations(db, scopes.ta, { q: 'page', page, cursor: { direction: 'after', invitationId: current.rows.at(-1)!.invitationId } });
      seen.push(...current.rows);
    }
    expect(seen).toHaveLength(2 * INVITATIONS_PAGE_SIZE + 7);
    expect(new Set(seen.map((r) => r.invitationId)).size).toBe(seen.length);
    // Back from page 3 is page 2 exactly.
    const second = await listInvitations(db, scopes.ta, { q: 'page', page: 2, cursor: { direction: 'after', invitationId: first.rows.at(-1)!.invitationId } });
    const back = await listInvitations(db, scopes.ta, { q: 'page', page: 2, cursor: { direction: 'before', invitationId: current.rows[0]!.invitationId } });
    expect(back.rows.map((r) => r.invitationId)).toEqual(second.rows.map((r) => r.invitationId));
    // A cursor of another tenant's invitation is no cursor: the page number decides.
    const [foreign] = await db.select({ id: userTokens.id }).from(userTokens).where(eq(userTokens.tenantId, other.id)).limit(1);
    const ignored = await listInvitations(db, scopes.ta, { q: 'page', page: 1, cursor: { direction: 'after', invitationId: foreign!.id } });
    expect(ignored.rows.map((r) => r.invitationId)).toEqual(first.rows.map((r) => r.invitationId));
  });

  it('filters by state: pending, expired, not sent, bounced (also a refused email), accepted', async () => {
    const pending = await invite('st-pending@ca.test');
    const expired = await invite('st-expired@ca.test');
    await db.update(userTokens).set({ expiresAt: sql`now() - interval '1 minute'` }).where(eq(userTokens.memberId, expired.memberId));
    await invite('st-notsent@ca.test', { send: false });
    const failed = await invite('st-failed@ca.test');
    await db.update(emailMessages).set({ status: 'failed', lastError: '422 invalid address' }).where(eq(emailMessages.toAddress, 'st-failed@ca.test'));
    const accepted = await invite('st-accepted@ca.test');
    await db.update(userTokens).set({ usedAt: sql`now()` }).where(eq(userTokens.memberId, accepted.memberId));
    await db.update(tenantMembers).set({ status: 'active' }).where(eq(tenantMembers.id, accepted.memberId));
    const inState = async (state: 'pending' | 'expired' | 'not_sent' | 'bounced' | 'accepted') => emails((await listInvitations(db, scopes.ta, { state, q: 'st-' })).rows);
    expect(await inState('pending')).toEqual(['st-pending@ca.test']);
    expect(await inState('expired')).toEqual(['st-expired@ca.test']);
    expect(await inState('not_sent')).toEqual(['st-notsent@ca.test']);
    expect(await inState('bounced')).toEqual(['st-failed@ca.test']);
    expect(await inState('accepted')).toEqual(['st-accepted@ca.test']);
    const all = (await listInvitations(db, scopes.ta, { q: 'st-' })).rows;
    expect(Object.fromEntries(all.map((r) => [r.email, r.state]))).toEqual({
      'st-pending@ca.test': 'pending',
      'st-expired@ca.test': 'expired',
      'st-notsent@ca.test': 'not_sent',
      'st-failed@ca.test': 'bounced',
      'st-accepted@ca.test': 'accepted',
    });
    expect(pending && failed).toBeTruthy();
  });
});

describe('bulk resend and revoke (batches)', () => {
  it('refuses checked ids of another tenant, outside the scope, or from a plain member — changing nothing', async () => {
    const india = await invite('ref-india@ca.test');
    const us = await invite('ref-us@ca.test', { orgs: ['CA__US'] });
    const foreign = await invite('ref-foreign@other.test', { tenant: other, orgs: ['OTHER__Sales'] });
    await expectRefused(db, () => startInvitationBatch(db, actors.ta, 'resend', { memberIds: [india.memberId, foreign.memberId] }), NotFoundError);
    await expectRefused(db, () => startInvitationBatch(db, actors.oa, 'resend', { memberIds: [india.memberId, us.memberId] }), NotFoundError);
    await expectRefused(db, () => startInvitationBatch(db, actors.oa, 'revoke', { memberIds: [us.memberId] }), NotFoundError);
    await expectRefused(db, () => startInvitationBatch(db, actors.oth, 'revoke', { memberIds: [india.memberId] }), NotFoundError);
    // A plain member sees no one in the tenant (SPEC 2: everything in it is not found).
    await expectRefused(db, () => startInvitationBatch(db, actors.plain, 'resend', { memberIds: [india.memberId] }), NotFoundError);
    await expectRefused(db, () => startInvitationBatch(db, actors.ta, 'resend', { memberIds: ['not-a-uuid'] }), NotFoundError);
    await expectRefused(db, () => startInvitationBatch(db, actors.ta, 'resend', { memberIds: [] }), { key: 'invitations.noneSelected' });
    // A member in India and in US is beyond the India admin (not every membership is theirs): forbidden.
    const both = await invite('ref-both@ca.test', { orgs: ['CA__India', 'CA__US'] });
    await expectRefused(db, () => startInvitationBatch(db, actors.oa, 'resend', { memberIds: [both.memberId] }), ForbiddenError);
  });

  it('resend: a new link each, the old ones stop working, one email each, audited with the batch; the registered are skipped', async () => {
    const a = await invite('rs-a@ca.test');
    const b = await invite('rs-b@ca.test', { orgs: ['CA__India__HR'] });
    const registered = await invite('rs-reg@ca.test');
    await db.update(tenantMembers).set({ status: 'active' }).where(eq(tenantMembers.id, registered.memberId));
    const [oldA] = await linksTo('rs-a@ca.test');

    const { batchId, total } = await startInvitationBatch(db, actors.oa, 'resend', { memberIds: [a.memberId, b.memberId, registered.memberId] });
    expect(total).toBe(3);
    expect((await batchRow(batchId)).status).toBe('queued');
    expect(await runInvitationBatch(db, batchId)).toBe('done');

    const progress = await loadBatchProgress(db, actors.oa, scopes.oa, batchId);
    expect(progress).toMatchObject({ op: 'resend', status: 'done', total: 3, processed: 3, succeeded: 2, skipped: 1, skippedBy: { not_invited: 1 }, createdByLabel: 'oa@ca.test' });
    const links = await linksTo('rs-a@ca.test');
    expect(links).toHaveLength(2);
    expect((await inspectToken(db, oldA!, 'invitation')).status).toBe('revoked');
    expect((await inspectToken(db, links[1]!, 'invitation')).status).toBe('valid');
    expect(await linksTo('rs-b@ca.test')).toHaveLength(2);
    expect(await linksTo('rs-reg@ca.test')).toHaveLength(1);
    expect((await tokensOf(a.memberId)).map((t) => Boolean(t.revokedAt))).toEqual([true, false]);

    const audits = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'invitation.send'), inArray(auditEvents.targetId, [a.memberId, b.memberId, registered.memberId])))
      .orderBy(desc(auditEvents.createdAt));
    const fromBatch = audits.filter((e) => (e.after as { batchId?: string }).batchId === batchId);
    expect(fromBatch.map((e) => e.targetId).sort()).toEqual([a.memberId, b.memberId].sort());
    expect(fromBatch.every((e) => e.actorLabel === 'oa@ca.test')).toBe(true);
    // Running it again does nothing more.
    expect(await runInvitationBatch(db, batchId)).toBe('done');
    expect(await linksTo('rs-a@ca.test')).toHaveLength(2);
  });

  it('revoke: their links stop working; someone with nothing open is skipped', async () => {
    const a = await invite('rv-a@ca.test');
    const nothing = await invite('rv-none@ca.test');
    await db.update(userTokens).set({ revokedAt: sql`now()` }).where(eq(userTokens.memberId, nothing.memberId));
    const [link] = await linksTo('rv-a@ca.test');
    const { batchId } = await startInvitationBatch(db, actors.ta, 'revoke', { memberIds: [a.memberId, nothing.memberId] });
    await runInvitationBatch(db, batchId);
    expect(await loadBatchProgress(db, actors.ta, scopes.ta, batchId)).toMatchObject({ status: 'done', succeeded: 1, skipped: 1, skippedBy: { nothing_to_revoke: 1 } });
    expect((await inspectToken(db, link!, 'invitation')).status).toBe('revoked');
    const [audit] = await db.select().from(auditEvents).where(and(eq(auditEvents.action, 'invitation.revoke'), eq(auditEvents.targetId, a.memberId)));
    expect(audit?.after).toMatchObject({ state: 'revoked', batchId });
  });

  it('"select all matching" takes the console query in the admin\'s scope: state and search, invited members only', async () => {
    await invite('all-india-1@ca.test');
    await invite('all-india-2@ca.test', { orgs: ['CA__India__HR'] });
    const expired = await invite('all-india-exp@ca.test');
    await db.update(userTokens).set({ expiresAt: sql`now() - interval '1 minute'` }).where(eq(userTokens.memberId, expired.memberId));
    await invite('all-us@ca.test', { orgs: ['CA__US'] });
    await invite('all-foreign@other.test', { tenant: other, orgs: ['OTHER__Sales'] });

    const { batchId, total } = await startInvitationBatch(db, actors.oa, 'resend', { all: { state: 'pending', q: 'all-' } });
    expect(total).toBe(2);
    const items = await db.select({ memberId: invitationBatchItems.memberId, email: sql<string>`(select u.email from users u join tenant_members m on m.user_id = u.id where m.id = ${invitationBatchItems.memberId})` }).from(invitationBatchItems).where(eq(invitationBatchItems.batchId, batchId));
    expect(items.map((i) => i.email).sort()).toEqual(['all-india-1@ca.test', 'all-india-2@ca.test']);
    await runInvitationBatch(db, batchId);
    expect(await linksTo('all-india-1@ca.test')).toHaveLength(2);
    expect(await linksTo('all-us@ca.test')).toHaveLength(1);
    expect(await linksTo('all-india-exp@ca.test')).toHaveLength(1);
    // Nothing matching: refused, nothing saved.
    await expectRefused(db, () => startInvitationBatch(db, actors.oa, 'resend', { all: { q: 'all-us' } }), { key: 'invitations.noneSelected' });
  });

  it('judges every chunk again: someone now out of reach is skipped; an admin who lost their rights stops the batch', async () => {
    const a = await invite('judge-a@ca.test');
    const b = await invite('judge-b@ca.test');
    const { batchId } = await startInvitationBatch(db, actors.oa, 'revoke', { memberIds: [a.memberId, b.memberId] });
    // Meanwhile b also joins CA__US: beyond the India admin.
    await db.insert(orgMemberships).values({ tenantId: ca.id, orgId: ca.org('CA__US').id, memberId: b.memberId });
    await runInvitationBatch(db, batchId);
    expect(await loadBatchProgress(db, actors.oa, scopes.oa, batchId)).toMatchObject({ status: 'done', succeeded: 1, skippedBy: { not_allowed: 1 } });
    expect((await tokensOf(b.memberId)).every((t) => !t.revokedAt)).toBe(true);

    // A second batch, whose admin is no longer an administrator when it runs.
    const c = await invite('judge-c@ca.test');
    const demoted = await addMember(db, ca, { email: 'demoted@ca.test', orgs: [{ path: 'CA__India', isAdmin: true }] });
    const demotedActor = await actorFor(db, demoted.userId, ca);
    const second = await startInvitationBatch(db, demotedActor, 'revoke', { memberIds: [c.memberId] });
    await db.update(orgMemberships).set({ isAdmin: false }).where(eq(orgMemberships.memberId, demoted.memberId));
    await runInvitationBatch(db, second.batchId);
    expect(await batchRow(second.batchId)).toMatchObject({ status: 'failed', error: 'actorGone', processed: 0 });
    expect((await tokensOf(c.memberId)).every((t) => !t.revokedAt)).toBe(true);
  });

  it('does each member once even when two runs of one batch overlap (the batch row is locked per chunk)', async () => {
    const ids: string[] = [];
    await db.transaction(async (tx) => {
      for (let i = 0; i < BATCH_CHUNK + 30; i++) {
        const m = await addMember(tx, ca, { email: `twice${i}@ca.test`, status: 'invited', orgs: [{ path: 'CA__India' }] });
        await issueInvitation(tx, { tenantId: ca.id, memberId: m.memberId, invitedBy: { userId: taUserId, label: 'ta', name: 'Tina' }, send: true });
        ids.push(m.memberId);
      }
    });
    const { batchId } = await startInvitationBatch(db, actors.ta, 'resend', { all: { q: 'twice' } });
    // Chunk by chunk, the counters are the progress bar's.
    await runBatchChunk(db, batchId);
    expect(await batchRow(batchId)).toMatchObject({ status: 'running', total: BATCH_CHUNK + 30, processed: BATCH_CHUNK });
    await Promise.all([runInvitationBatch(db, batchId), runInvitationBatch(db, batchId)]);
    expect(await batchRow(batchId)).toMatchObject({ status: 'done', processed: BATCH_CHUNK + 30, succeeded: BATCH_CHUNK + 30 });
    const perMember = await db
      .select({ memberId: userTokens.memberId, n: sql<number>`count(*)::int` })
      .from(userTokens)
      .where(inArray(userTokens.memberId, ids))
      .groupBy(userTokens.memberId);
    expect(perMember.every((r) => r.n === 2)).toBe(true);
    expect(perMember).toHaveLength(ids.length);
  });

  it('progress: the tenant admins see every batch, an org admin their own, another tenant none', async () => {
    const m = await invite('prog@ca.test');
    const byTa = await startInvitationBatch(db, actors.ta, 'resend', { memberIds: [m.memberId] });
    const byOa = await startInvitationBatch(db, actors.oa, 'revoke', { memberIds: [m.memberId] });
    expect((await loadBatchProgress(db, actors.ta, scopes.ta, byOa.batchId)).status).toBe('queued');
    expect((await loadBatchProgress(db, actors.oa, scopes.oa, byOa.batchId)).op).toBe('revoke');
    expect(await failure(loadBatchProgress(db, actors.oa, scopes.oa, byTa.batchId))).toBeInstanceOf(NotFoundError);
    expect(await failure(loadBatchProgress(db, actors.oth, scopes.oth, byTa.batchId))).toBeInstanceOf(NotFoundError);
    expect(await failure(loadBatchProgress(db, actors.ta, scopes.ta, 'nonsense'))).toBeInstanceOf(NotFoundError);
    const recent = await listRecentBatches(db, actors.ta, scopes.ta);
    expect(recent.map((b) => b.id)).toEqual(expect.arrayContaining([byTa.batchId, byOa.batchId]));
    expect((await listRecentBatches(db, actors.oth, scopes.oth)).map((b) => b.id)).not.toContain(byTa.batchId);
    await runInvitationBatch(db, byTa.batchId);
    await runInvitationBatch(db, byOa.batchId);
  });

  it('through the worker: the enqueued job runs the batch to the end', async () => {
    // Every batch above is finished: the worker only finds this one.
    const open = await db.select({ id: invitationBatches.id }).from(invitationBatches).where(inArray(invitationBatches.status, ['queued', 'running']));
    expect(open).toEqual([]);
    const workers = await startWorkers({ db, queues: ['invitation'], log: () => {} });
    try {
      const m = await invite('worker@ca.test');
      const { batchId } = await startInvitationBatch(db, actors.ta, 'resend', { memberIds: [m.memberId] });
      const done = await waitFor(async () => {
        const row = await batchRow(batchId);
        return row.status === 'done' ? row : undefined;
      }, { what: `batch ${batchId} done` });
      expect(done).toMatchObject({ processed: 1, succeeded: 1 });
      expect(await linksTo('worker@ca.test')).toHaveLength(2);
    } finally {
      await workers.close();
    }
  });
});
