import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { organizations, tenantMembers, users } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import type { Actor } from '@/lib/actor';
import { ForbiddenError, NotFoundError } from '@/lib/errors';
import {
  addContract,
  addGroup,
  addImport,
  addMember,
  addService,
  actorFor,
  createOperator,
  createTenantFixture,
  type MemberFixture,
  type TenantFixture,
} from '@/lib/testing/fixtures';
import {
  adminScope,
  assertNotLastTenantAdmin,
  authorize,
  can,
  memberInScope,
  orgInScope,
  ACTIONS,
  type Action,
  type Decision,
  type Target,
} from './authz';

const DEEP = ['CA', 'India', ...Array.from({ length: 9 }, (_, i) => `D${i + 2}`)]; // CA … D10: depth 10
const deepPath = (depth: number) => DEEP.slice(0, depth + 1).join('__');

let tdb: TestDatabase;
let db: Database;
let ca: TenantFixture;
let other: TenantFixture;
const m: Record<string, MemberFixture> = {};
const actors: Record<string, Actor> = {};
const targets: Record<string, Target> = {};

async function outcome(p: Promise<unknown>): Promise<Decision> {
  try {
    await p;
    return 'allow';
  } catch (err) {
    if (err instanceof NotFoundError) return 'not_found';
    if (err instanceof ForbiddenError) return 'forbidden';
    throw err;
  }
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  ca = await createTenantFixture(db, {
    slug: 'ca',
    orgPaths: ['CA__India__HR', 'CA__US__HR', 'CA__Indiana', deepPath(10)],
  });
  other = await createTenantFixture(db, { slug: 'other', orgPaths: ['OTHER__Sales'] });

  const opId = await createOperator(db, { email: 'op@platform.test' });
  m.ta = await addMember(db, ca, { email: 'ta@ca.test', isTenantAdmin: true, orgs: [{ path: 'CA' }] });
  m.oa = await addMember(db, ca, { email: 'oa@ca.test', orgs: [{ path: 'CA__India', isAdmin: true }] });
  m.hr = await addMember(db, ca, { email: 'hr@ca.test', orgs: [{ path: 'CA__India__HR' }] });
  m.both = await addMember(db, ca, { email: 'both@ca.test', orgs: [{ path: 'CA__India' }, { path: 'CA__US' }] });
  m.us = await addMember(db, ca, { email: 'us@ca.test', orgs: [{ path: 'CA__US__HR' }] });
  m.indiana = await addMember(db, ca, { email: 'indiana@ca.test', orgs: [{ path: 'CA__Indiana' }] });
  m.taHr = await addMember(db, ca, { email: 'ta-hr@ca.test', isTenantAdmin: true, orgs: [{ path: 'CA__India__HR' }] });
  m.deep = await addMember(db, ca, { email: 'deep@ca.test', orgs: [{ path: deepPath(10) }] });
  m.deepAdmin = await addMember(db, ca, { email: 'deep-admin@ca.test', orgs: [{ path: deepPath(10), isAdmin: true }] });
  m.oth = await addMember(db, other, { email: 'oth@other.test', isTenantAdmin: true, orgs: [{ path: 'OTHER' }] });
  m.othMember = await addMember(db, other, { email: 'sales@other.test', orgs: [{ path: 'OTHER__Sales' }] });

  actors.op = await actorFor(db, opId);
  actors.ta = await actorFor(db, m.ta.userId, ca);
  actors.oa = await actorFor(db, m.oa.userId, ca);
  actors.mem = await actorFor(db, m.hr.userId, ca);
  actors.oth = await actorFor(db, m.oth.userId, other);
  actors.deepAdmin = await actorFor(db, m.deepAdmin.userId, ca);

  const service = await addService(db, { key: 'cloud' });
  Object.assign(targets, {
    platform: { type: 'platform' },
    self: { type: 'self' },
    'tenant:CA': { type: 'tenant', id: ca.id },
    'tenant:OTHER': { type: 'tenant', id: other.id },
    'org:CA': { type: 'org', id: ca.root.id },
    'org:India': { type: 'org', id: ca.org('CA__India').id },
    'org:HR': { type: 'org', id: ca.org('CA__India__HR').id },
    'org:US': { type: 'org', id: ca.org('CA__US').id },
    'org:USHR': { type: 'org', id: ca.org('CA__US__HR').id },
    'org:Indiana': { type: 'org', id: ca.org('CA__Indiana').id },
    'org:OTHER': { type: 'org', id: other.org('OTHER__Sales').id },
    'member:hr': { type: 'member', id: m.hr.memberId },
    'member:both': { type: 'member', id: m.both.memberId },
    'member:us': { type: 'member', id: m.us.memberId },
    'member:indiana': { type: 'member', id: m.indiana.memberId },
    'member:ta': { type: 'member', id: m.ta.memberId },
    'member:taHr': { type: 'member', id: m.taHr.memberId },
    'member:OTHER': { type: 'member', id: m.othMember.memberId },
    'ms:hr': { type: 'membership', id: m.hr.membership('CA__India__HR') },
    'ms:both@India': { type: 'membership', id: m.both.membership('CA__India') },
    'ms:both@US': { type: 'membership', id: m.both.membership('CA__US') },
    'ms:indiana': { type: 'membership', id: m.indiana.membership('CA__Indiana') },
    'ms:taHr': { type: 'membership', id: m.taHr.membership('CA__India__HR') },
    'ms:OTHER': { type: 'membership', id: m.othMember.membership('OTHER__Sales') },
    'group:CA': { type: 'group', id: await addGroup(db, ca, { name: 'Engineers' }) },
    'group:OTHER': { type: 'group', id: await addGroup(db, other, { name: 'Engineers' }) },
    'contract:CA': { type: 'contract', id: await addContract(db, ca, { serviceId: service, code: 'CA-1' }) },
    'contract:OTHER': { type: 'contract', id: await addContract(db, other, { serviceId: service, code: 'OT-1' }) },
    'import:byOa': { type: 'import', id: await addImport(db, ca, { uploadedByUserId: m.oa.userId }) },
    'import:byTa': { type: 'import', id: await addImport(db, ca, { uploadedByUserId: m.ta.userId }) },
    'import:OTHER': { type: 'import', id: await addImport(db, other, { uploadedByUserId: m.oth.userId }) },
  } satisfies Record<string, Target>);
});

afterAll(async () => {
  await tdb?.drop();
});

const t = (name: string): Target => {
  const target = targets[name];
  if (!target) throw new Error(`no target ${name}`);
  return target;
};

/*
 * Every action on real ids. A = allow, F = forbidden, N = not found.
 * Columns: operator, tenant admin, CA__India admin, CA__India__HR member, OTHER's tenant admin.
 */
const ACTORS = ['op', 'ta', 'oa', 'mem', 'oth'] as const;
const MATRIX: [Action, string, string][] = [
  ['tenant.create', 'platform', 'A F F F F'],
  ['tenant.list', 'platform', 'A F F F F'],
  ['tenant.delete', 'tenant:CA', 'A F F F N'],
  ['tenant.delete', 'tenant:OTHER', 'A N N N F'],
  ['org.view', 'tenant:CA', 'N A A F N'],
  ['org.view', 'org:India', 'N A A N N'],
  ['org.view', 'org:HR', 'N A A N N'],
  ['org.view', 'org:CA', 'N A N N N'],
  ['org.view', 'org:US', 'N A N N N'],
  ['org.view', 'org:Indiana', 'N A N N N'],
  ['org.view', 'org:OTHER', 'N N N N A'],
  ['org.create', 'org:India', 'N A F N N'],
  ['org.create', 'org:US', 'N A N N N'],
  ['org.update', 'org:HR', 'N A F N N'],
  ['org.update', 'org:Indiana', 'N A N N N'],
  ['org.update', 'org:OTHER', 'N N N N A'],
  ['org.move', 'org:HR', 'N A F N N'],
  ['org.move', 'org:USHR', 'N A N N N'],
  ['org.delete', 'org:HR', 'N A F N N'],
  ['org.delete', 'org:OTHER', 'N N N N A'],
  ['member.view', 'tenant:CA', 'N A A F N'],
  ['member.view', 'member:hr', 'N A A N N'],
  ['member.view', 'member:both', 'N A A N N'],
  ['member.view', 'member:taHr', 'N A A N N'],
  ['member.view', 'member:us', 'N A N N N'],
  ['member.view', 'member:indiana', 'N A N N N'],
  ['member.view', 'member:ta', 'N A N N N'],
  ['member.view', 'member:OTHER', 'N N N N A'],
  ['member.add', 'org:HR', 'N A A N N'],
  ['member.add', 'org:US', 'N A N N N'],
  ['member.add', 'org:Indiana', 'N A N N N'],
  ['member.add', 'org:OTHER', 'N N N N A'],
  ['member.edit', 'member:hr', 'N A A N N'],
  ['member.edit', 'member:both', 'N A F N N'],
  ['member.deactivate', 'member:hr', 'N A A N N'],
  ['member.deactivate', 'member:both', 'N A F N N'],
  ['member.deactivate', 'member:taHr', 'N A F N N'],
  ['member.deactivate', 'member:us', 'N A N N N'],
  ['member.deactivate', 'member:OTHER', 'N N N N A'],
  ['member.reactivate', 'member:hr', 'N A A N N'],
  ['member.reactivate', 'member:both', 'N A F N N'],
  ['member.remove', 'member:hr', 'N A A N N'],
  ['member.remove', 'member:both', 'N A F N N'],
  ['member.remove', 'member:indiana', 'N A N N N'],
  ['member.serviceAccess', 'member:hr', 'N A A N N'],
  ['member.serviceAccess', 'member:both', 'N A F N N'],
  ['member.setTenantAdmin', 'member:hr', 'N A F N N'],
  ['member.setTenantAdmin', 'member:OTHER', 'N N N N A'],
  ['membership.remove', 'ms:hr', 'N A A N N'],
  ['membership.remove', 'ms:both@US', 'N A N N N'],
  ['membership.setAdmin', 'ms:both@India', 'N A A N N'],
  ['membership.setAdmin', 'ms:both@US', 'N A N N N'],
  ['membership.setAdmin', 'ms:indiana', 'N A N N N'],
  ['membership.setAdmin', 'ms:taHr', 'N A F N N'],
  ['membership.setAdmin', 'ms:OTHER', 'N N N N A'],
  ['catalog.manage', 'platform', 'A F F F F'],
  ['catalog.manage', 'tenant:CA', 'A F F F N'],
  ['catalog.manage', 'contract:CA', 'A F F N N'],
  ['catalog.manage', 'contract:OTHER', 'A N N N F'],
  ['contracts.view', 'tenant:CA', 'A A F F N'],
  ['contracts.view', 'contract:CA', 'A A F N N'],
  ['contracts.view', 'contract:OTHER', 'A N N N A'],
  ['groups.manage', 'tenant:CA', 'N A F F N'],
  ['groups.manage', 'group:CA', 'N A F N N'],
  ['groups.manage', 'group:OTHER', 'N N N N A'],
  ['apiTokens.manage', 'tenant:CA', 'N A F F N'],
  ['apiTokens.manage', 'tenant:OTHER', 'N N N N A'],
  ['access.view', 'tenant:CA', 'N A F F N'],
  ['access.view', 'member:hr', 'N A F N N'],
  ['access.view', 'member:us', 'N A N N N'],
  ['access.view', 'member:OTHER', 'N N N N A'],
  ['import.create', 'tenant:CA', 'N A A F N'],
  ['import.create', 'tenant:OTHER', 'N N N N A'],
  ['import.view', 'tenant:CA', 'N A A F N'],
  ['import.view', 'import:byOa', 'N A A N N'],
  ['import.view', 'import:byTa', 'N A N N N'],
  ['import.view', 'import:OTHER', 'N N N N A'],
  ['audit.view', 'platform', 'A F F F F'],
  ['audit.view', 'tenant:CA', 'A A A F N'],
  ['audit.view', 'tenant:OTHER', 'A N N N A'],
  ['profile.self', 'self', 'A A A A A'],
];
const CODES: Record<string, Decision> = { A: 'allow', F: 'forbidden', N: 'not_found' };
const cases = MATRIX.flatMap(([action, target, row]) =>
  row.split(' ').map((code, i) => ({ actor: ACTORS[i] ?? '', action, target, expected: CODES[code] })),
);

describe('authorize on real ids', () => {
  it.each(cases)('$actor $action $target → $expected', async ({ actor, action, target, expected }) => {
    const who = actors[actor];
    if (!who) throw new Error(`no actor ${actor}`);
    expect(await outcome(authorize(db, who, action, t(target)))).toBe(expected);
  });

  it('covers every action', () => {
    expect(new Set(MATRIX.map(([a]) => a))).toEqual(new Set(ACTIONS));
  });

  it('answers not found for unknown and malformed ids', async () => {
    const ta = actors.ta!;
    await expect(authorize(db, ta, 'org.view', { type: 'org', id: '00000000-0000-4000-8000-000000000000' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(authorize(db, ta, 'member.view', { type: 'member', id: 'not-a-uuid' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(authorize(db, ta, 'import.view', { type: 'import', id: "' or 1=1 --" })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('returns the loaded rows so callers need not load them again', async () => {
    const org = await authorize(db, actors.oa!, 'member.add', { type: 'org', id: ca.org('CA__India__HR').id });
    expect(org.org.namePath).toBe('CA__India__HR');

    const member = await authorize(db, actors.oa!, 'member.view', { type: 'member', id: m.both!.memberId });
    expect(member.member.id).toBe(m.both!.memberId);
    expect([...member.orgIdPaths].sort()).toEqual([ca.org('CA__India').idPath, ca.org('CA__US').idPath].sort());

    const ms = await authorize(db, actors.oa!, 'membership.setAdmin', { type: 'membership', id: m.both!.membership('CA__India') });
    expect(ms.org.namePath).toBe('CA__India');
    expect(ms.member.id).toBe(m.both!.memberId);

    const importTarget = t('import:byOa');
    if (importTarget.type !== 'import') throw new Error('fixture mix-up');
    const imp = await authorize(db, actors.oa!, 'import.view', importTarget);
    expect(imp.import.uploadedByUserId).toBe(m.oa!.userId);
    expect('fileContent' in imp.import).toBe(false);
  });

  it('works inside a transaction', async () => {
    await db.transaction(async (tx) => {
      const r = await authorize(tx, actors.oa!, 'member.deactivate', { type: 'member', id: m.hr!.memberId });
      expect(r.member.status).toBe('active');
    });
  });

  it('can() answers booleans', async () => {
    expect(await can(db, actors.oa!, 'member.deactivate', { type: 'member', id: m.hr!.memberId })).toBe(true);
    expect(await can(db, actors.oa!, 'member.deactivate', { type: 'member', id: m.both!.memberId })).toBe(false);
    expect(await can(db, actors.oa!, 'org.update', { type: 'org', id: ca.org('CA__US').id })).toBe(false);
  });

  it('reaches 10 levels down, and never up', async () => {
    const bottom = ca.org(deepPath(10));
    expect(bottom.depth).toBe(10);
    expect(await outcome(authorize(db, actors.oa!, 'member.add', { type: 'org', id: bottom.id }))).toBe('allow');
    expect(await outcome(authorize(db, actors.oa!, 'member.deactivate', { type: 'member', id: m.deep!.memberId }))).toBe('allow');
    const deepAdmin = actors.deepAdmin!;
    expect(await outcome(authorize(db, deepAdmin, 'member.view', { type: 'member', id: m.deep!.memberId }))).toBe('allow');
    expect(await outcome(authorize(db, deepAdmin, 'org.view', { type: 'org', id: bottom.id }))).toBe('allow');
    expect(await outcome(authorize(db, deepAdmin, 'org.view', { type: 'org', id: ca.org(deepPath(9)).id }))).toBe('not_found');
    expect(await outcome(authorize(db, deepAdmin, 'member.view', { type: 'member', id: m.hr!.memberId }))).toBe('not_found');
  });
});

describe('adminScope and the list filters', () => {
  const orgsIn = async (actor: Actor) => {
    const scope = await adminScope(db, actor);
    const rows = await db
      .select({ namePath: organizations.namePath })
      .from(organizations)
      .where(orgInScope(scope))
      .orderBy(asc(organizations.namePath));
    return rows.map((r) => r.namePath);
  };
  const membersIn = async (actor: Actor) => {
    const scope = await adminScope(db, actor);
    const rows = await db
      .select({ email: users.email })
      .from(tenantMembers)
      .innerJoin(users, eq(users.id, tenantMembers.userId))
      .where(memberInScope(scope))
      .orderBy(asc(users.email));
    return rows.map((r) => r.email);
  };

  it('describes each actor', async () => {
    expect(await adminScope(db, actors.ta!)).toEqual({ kind: 'tenant', tenantId: ca.id });
    expect(await adminScope(db, actors.oa!)).toEqual({ kind: 'subtrees', tenantId: ca.id, idPaths: [ca.org('CA__India').idPath] });
    expect(await adminScope(db, actors.mem!)).toEqual({ kind: 'none' });
    expect(await adminScope(db, actors.op!)).toEqual({ kind: 'none' });
  });

  it('collapses nested subtrees', async () => {
    const nested = await addMember(db, ca, {
      email: 'nested@ca.test',
      orgs: [{ path: 'CA__India', isAdmin: true }, { path: 'CA__India__HR', isAdmin: true }, { path: 'CA__US__HR', isAdmin: true }],
    });
    const scope = await adminScope(db, await actorFor(db, nested.userId, ca));
    expect(scope).toEqual({
      kind: 'subtrees',
      tenantId: ca.id,
      idPaths: [ca.org('CA__India').idPath, ca.org('CA__US__HR').idPath].sort(),
    });
    await db.delete(tenantMembers).where(eq(tenantMembers.id, nested.memberId));
  });

  it('filters orgs to the subtree, never a name-prefix sibling', async () => {
    expect(await orgsIn(actors.oa!)).toEqual(
      ['CA__India', 'CA__India__HR', ...Array.from({ length: 9 }, (_, i) => deepPath(i + 2))].sort(),
    );
    expect(await orgsIn(actors.ta!)).toHaveLength(ca.orgs.size);
    expect(await orgsIn(actors.mem!)).toEqual([]);
  });

  it('filters members to those with a membership in the subtree', async () => {
    expect(await membersIn(actors.oa!)).toEqual(
      ['both@ca.test', 'deep-admin@ca.test', 'deep@ca.test', 'hr@ca.test', 'oa@ca.test', 'ta-hr@ca.test'].sort(),
    );
    const all = await membersIn(actors.ta!);
    expect(all).toContain('indiana@ca.test');
    expect(all).not.toContain('oth@other.test');
    expect(await membersIn(actors.mem!)).toEqual([]);
  });

  it('filters inside a query that joins the same tables', async () => {
    const scope = await adminScope(db, actors.oa!);
    const rows = await db
      .selectDistinct({ email: users.email })
      .from(tenantMembers)
      .innerJoin(users, eq(users.id, tenantMembers.userId))
      .innerJoin(sql`org_memberships om`, sql`om.member_id = ${tenantMembers.id}`)
      .innerJoin(organizations, sql`${organizations.id} = om.org_id`)
      .where(sql`${memberInScope(scope)} and ${eq(organizations.namePath, 'CA__US')}`);
    expect(rows.map((r) => r.email)).toEqual(['both@ca.test']);
  });
});

describe('assertNotLastTenantAdmin', () => {
  let n = 0;
  const freshTenant = async () => createTenantFixture(db, { slug: `guard-${++n}`, orgPaths: ['G'] });
  const admin = (tenant: TenantFixture, status: 'active' | 'invited' | 'deactivated' = 'active') =>
    addMember(db, tenant, { email: `admin-${++n}@guard.test`, isTenantAdmin: true, status, orgs: [{ path: 'G' }] });
  /** Runs the guard then the write, as a caller would: deactivate, remove or demote. */
  const change = (tenant: TenantFixture, memberId: string, kind: 'deactivate' | 'remove' | 'demote') =>
    db.transaction(async (tx) => {
      await assertNotLastTenantAdmin(tx, tenant.id, memberId);
      if (kind === 'remove') await tx.delete(tenantMembers).where(eq(tenantMembers.id, memberId));
      else
        await tx
          .update(tenantMembers)
          .set(kind === 'deactivate' ? { status: 'deactivated' } : { isTenantAdmin: false })
          .where(eq(tenantMembers.id, memberId));
    });

  it.each(['deactivate', 'remove', 'demote'] as const)('refuses to %s the last active tenant admin', async (kind) => {
    const tenant = await freshTenant();
    const a = await admin(tenant);
    await expect(change(tenant, a.memberId, kind)).rejects.toMatchObject({ code: 'last_tenant_admin', messageKey: 'lastTenantAdmin' });
    const [row] = await db.select().from(tenantMembers).where(eq(tenantMembers.id, a.memberId));
    expect(row).toMatchObject({ status: 'active', isTenantAdmin: true });
  });

  it.each(['deactivate', 'remove', 'demote'] as const)('allows to %s one of two active tenant admins', async (kind) => {
    const tenant = await freshTenant();
    const a = await admin(tenant);
    await admin(tenant);
    await expect(change(tenant, a.memberId, kind)).resolves.toBeUndefined();
  });

  it('does not count a deactivated or invited tenant admin as active', async () => {
    const tenant = await freshTenant();
    const a = await admin(tenant);
    await admin(tenant, 'deactivated');
    await admin(tenant, 'invited');
    await expect(change(tenant, a.memberId, 'demote')).rejects.toMatchObject({ code: 'last_tenant_admin' });
  });

  it('lets anything happen to members who are not active tenant admins', async () => {
    const tenant = await freshTenant();
    await admin(tenant);
    const plain = await addMember(db, tenant, { email: `plain-${++n}@guard.test`, orgs: [{ path: 'G' }] });
    const inactive = await admin(tenant, 'deactivated');
    await expect(change(tenant, plain.memberId, 'remove')).resolves.toBeUndefined();
    await expect(change(tenant, inactive.memberId, 'remove')).resolves.toBeUndefined();
  });

  it('serialises two admins demoting each other: exactly one succeeds', async () => {
    const tenant = await freshTenant();
    const a = await admin(tenant);
    const b = await admin(tenant);
    let releaseFirst = () => {};
    const firstMayCommit = new Promise<void>((r) => (releaseFirst = r));
    let firstWrote = () => {};
    const firstHasWritten = new Promise<void>((r) => (firstWrote = r));

    const first = db.transaction(async (tx) => {
      await assertNotLastTenantAdmin(tx, tenant.id, b.memberId);
      await tx.update(tenantMembers).set({ isTenantAdmin: false }).where(eq(tenantMembers.id, b.memberId));
      firstWrote();
      await firstMayCommit;
    });
    await firstHasWritten;
    let secondSettled = false;
    const second = change(tenant, a.memberId, 'demote').then(
      () => 'ok',
      (err: unknown) => err,
    );
    void second.finally(() => (secondSettled = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(secondSettled).toBe(false); // waiting on the first one's row lock
    releaseFirst();
    await first;
    expect(await second).toMatchObject({ code: 'last_tenant_admin' });

    const admins = await db
      .select({ id: tenantMembers.id })
      .from(tenantMembers)
      .where(sql`${tenantMembers.tenantId} = ${tenant.id} and ${tenantMembers.isTenantAdmin}`);
    expect(admins).toEqual([{ id: a.memberId }]);
  });
});
