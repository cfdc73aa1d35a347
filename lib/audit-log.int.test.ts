import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { auditEvents } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import {
  actorFor,
  addImport,
  addMember,
  createTenantFixture,
  type MemberFixture,
  type TenantFixture,
} from '@/lib/testing/fixtures';
import { type AuditAction, recordAudit, SYSTEM_ACTOR } from './audit';
import { type AuditFilters, type AuditScope, listAuditEvents, listTargetAuditEvents, streamAuditEvents } from './audit-log';
import { adminScope } from './authz';

let tdb: TestDatabase;
let db: Database;
let ca: TenantFixture;
let other: TenantFixture;
const m = {} as Record<'ta' | 'oa' | 'mem' | 'oth', MemberFixture>;
const scopes: Record<'tenantAdmin' | 'indiaAdmin' | 'member' | 'otherAdmin', AuditScope> = {} as never;
let importId: string;

/** Records one event and returns its id; `at` pins created_at (recordAudit uses now()). */
async function event(options: {
  tenant?: TenantFixture | null;
  actor?: { userId: string | null; label: string };
  action?: AuditAction;
  target?: { type: string; id?: string; label?: string };
  orgs?: string[];
  before?: unknown;
  after?: unknown;
  importId?: string;
  at?: string;
}): Promise<number> {
  const tenant = options.tenant === undefined ? ca : options.tenant;
  await recordAudit(db, {
    tenantId: tenant?.id ?? null,
    actor: options.actor ?? { userId: m.ta.userId, label: m.ta.email },
    action: options.action ?? 'org.update',
    target: options.target ?? { type: 'org', id: crypto.randomUUID(), label: 'X' },
    orgIdPaths: (options.orgs ?? []).map((p) => tenant!.org(p).idPath),
    before: options.before,
    after: options.after,
    importId: options.importId,
  });
  const [row] = await db.select({ id: sql<number>`max(${auditEvents.id})::int` }).from(auditEvents);
  const id = row!.id;
  if (options.at) await db.update(auditEvents).set({ createdAt: sql`${options.at}::timestamptz` }).where(eq(auditEvents.id, id));
  return id;
}

const ids: Record<string, number> = {};

/** Every matching id, newest first (one big page). */
async function visible(scope: AuditScope, filters: AuditFilters = {}): Promise<number[]> {
  const { rows, total } = await listAuditEvents(db, scope, filters, 1, 500);
  expect(rows).toHaveLength(total);
  return rows.map((r) => r.id);
}

/** The named events among `found` (others — paging rows — ignored). */
function named(found: number[]): string[] {
  const byId = new Map(Object.entries(ids).map(([k, v]) => [v, k]));
  return found.flatMap((id) => byId.get(id) ?? []).sort();
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  ca = await createTenantFixture(db, { slug: 'ca', orgPaths: ['CA__India__HR', 'CA__US__HR', 'CA__Indiana'] });
  other = await createTenantFixture(db, { slug: 'other', orgPaths: ['OTHER__India'] });
  m.ta = await addMember(db, ca, { email: 'admin@ca.test', isTenantAdmin: true, orgs: [{ path: 'CA' }] });
  m.oa = await addMember(db, ca, { email: 'India.Admin@ca.test', orgs: [{ path: 'CA__India', isAdmin: true }] });
  m.mem = await addMember(db, ca, { email: 'hr@ca.test', orgs: [{ path: 'CA__India__HR' }] });
  m.oth = await addMember(db, other, { email: 'admin@other.test', isTenantAdmin: true, orgs: [{ path: 'OTHER' }] });
  scopes.tenantAdmin = await adminScope(db, await actorFor(db, m.ta.userId, ca));
  scopes.indiaAdmin = await adminScope(db, await actorFor(db, m.oa.userId, ca));
  scopes.member = await adminScope(db, await actorFor(db, m.mem.userId, ca));
  scopes.otherAdmin = await adminScope(db, await actorFor(db, m.oth.userId, other));
  importId = await addImport(db, ca, { uploadedByUserId: m.ta.userId });

  const india = ca.org('CA__India');
  ids.india = await event({
    target: { type: 'org', id: india.id, label: 'CA__India' },
    orgs: ['CA__India'],
    before: { name: 'Indi' },
    after: { name: 'India' },
    at: '2025-03-10T01:00:00Z',
  });
  ids.hr = await event({
    action: 'member.deactivate',
    target: { type: 'member', id: m.mem.memberId, label: 'hr@ca.test' },
    orgs: ['CA__India__HR'],
    before: { status: 'active' },
    after: { status: 'deactivated' },
    at: '2025-03-10T15:30:00Z', // 2025-03-11 00:30 in Tokyo
  });
  ids.us = await event({ target: { type: 'org', id: ca.org('CA__US').id, label: 'CA__US' }, orgs: ['CA__US'], at: '2025-03-11T03:00:00Z' });
  ids.indiana = await event({
    target: { type: 'org', id: ca.org('CA__Indiana').id, label: 'CA__Indiana' },
    orgs: ['CA__Indiana'],
    at: '2025-03-12T03:00:00Z',
  });
  ids.tenantLevel = await event({
    action: 'member.setTenantAdmin',
    target: { type: 'member', id: m.ta.memberId, label: 'admin@ca.test' },
    orgs: [],
    at: '2025-03-12T04:00:00Z',
  });
  ids.mixed = await event({
    action: 'membership.add',
    actor: { userId: m.oa.userId, label: m.oa.email },
    target: { type: 'member', id: m.mem.memberId, label: 'hr@ca.test' },
    orgs: ['CA__US', 'CA__India__HR'],
    importId,
    at: '2025-03-12T05:00:00Z',
  });
  ids.otherIndia = await event({
    tenant: other,
    actor: { userId: m.oth.userId, label: m.oth.email },
    target: { type: 'org', id: other.org('OTHER__India').id, label: 'OTHER__India' },
    orgs: ['OTHER__India'],
    at: '2025-03-12T06:00:00Z',
  });
  ids.platform = await event({
    tenant: null,
    actor: SYSTEM_ACTOR,
    action: 'tenant.create',
    target: { type: 'tenant', id: ca.id, label: 'CA' },
    at: '2025-03-01T00:00:00Z',
  });
  // LIKE wildcards in labels: 'a_b%' must be matched literally.
  ids.wild = await event({ actor: { userId: null, label: 'a_b%c@ca.test' }, target: { type: 'org', label: '50%_off' }, orgs: ['CA'], at: '2025-02-01T00:00:00Z' });
  ids.wildDecoy = await event({ actor: { userId: null, label: 'axbyc@ca.test' }, target: { type: 'org', label: '50xxoff' }, orgs: ['CA'], at: '2025-02-01T00:00:01Z' });
});

afterAll(async () => {
  await tdb?.drop();
});

describe('scope', () => {
  it('gives the tenant admin every event of their tenant, and no other tenant’s or platform event', async () => {
    expect(named(await visible(scopes.tenantAdmin))).toEqual(
      ['hr', 'india', 'indiana', 'mixed', 'tenantLevel', 'us', 'wild', 'wildDecoy'].sort(),
    );
  });

  it('gives the CA__India admin the events touching CA__India or below, not CA__US, CA__Indiana, tenant-level or another tenant', async () => {
    expect(named(await visible(scopes.indiaAdmin))).toEqual(['hr', 'india', 'mixed']);
  });

  it('gives a plain member (scope none) nothing', async () => {
    expect(scopes.member).toEqual({ kind: 'none' });
    expect(await visible(scopes.member)).toEqual([]);
  });

  it('never lets another tenant’s admin see this tenant', async () => {
    expect(named(await visible(scopes.otherAdmin))).toEqual(['otherIndia']);
  });

  it('gives the platform scope everything, platform-level events included', async () => {
    expect(named(await visible({ kind: 'platform' }))).toEqual(Object.keys(ids).sort());
  });

  it('matches subtrees on the idPath with its trailing slash, whatever the scope spelled', async () => {
    const scope = scopes.indiaAdmin;
    if (scope.kind !== 'subtrees') throw new Error('expected subtrees');
    const bare = { ...scope, idPaths: scope.idPaths.map((p) => p.replace(/\/$/, '')) };
    expect(named(await visible(bare))).toEqual(['hr', 'india', 'mixed']);
  });

  it('orders newest first', async () => {
    const { rows } = await listAuditEvents(db, scopes.tenantAdmin, {}, 1, 500);
    const times = rows.map((r) => r.createdAt.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(rows[0]!.id).toBe(ids.mixed);
  });
});

describe('filters', () => {
  const ta = () => scopes.tenantAdmin;

  it('actor: prefix, case-insensitive', async () => {
    expect(named(await visible(ta(), { actor: 'INDIA.admin' }))).toEqual(['mixed']);
    expect(named(await visible(ta(), { actor: '  india' }))).toEqual(['mixed']);
    expect(named(await visible(ta(), { actor: 'ca.test' }))).toEqual([]); // prefix, not substring
  });

  it('actor and target: LIKE wildcards are literal', async () => {
    expect(named(await visible(ta(), { actor: 'a_b%' }))).toEqual(['wild']);
    expect(named(await visible(ta(), { actor: '%' }))).toEqual([]);
    expect(named(await visible(ta(), { target: '50%_' }))).toEqual(['wild']);
    expect(named(await visible(ta(), { target: '_' }))).toEqual([]);
  });

  it('action and target type: exact', async () => {
    expect(named(await visible(ta(), { action: 'member.deactivate' }))).toEqual(['hr']);
    expect(named(await visible(ta(), { action: 'member' }))).toEqual([]);
    expect(named(await visible(ta(), { targetType: 'member' }))).toEqual(['hr', 'mixed', 'tenantLevel']);
  });

  it('target: label prefix (case-insensitive) or exact id', async () => {
    expect(named(await visible(ta(), { target: 'ca__ind' }))).toEqual(['india', 'indiana']);
    expect(named(await visible(ta(), { target: m.mem.memberId }))).toEqual(['hr', 'mixed']);
    expect(named(await visible(ta(), { target: m.mem.memberId.slice(0, 8) }))).toEqual([]);
  });

  it('from (inclusive) and to (exclusive) instants', async () => {
    const from = new Date('2025-03-10T15:30:00Z');
    const to = new Date('2025-03-12T03:00:00Z');
    expect(named(await visible(ta(), { from, to }))).toEqual(['hr', 'us']);
    expect(named(await visible(ta(), { from: new Date('2025-03-12T00:00:00Z') }))).toEqual(['indiana', 'mixed', 'tenantLevel']);
    expect(named(await visible(ta(), { to: new Date('2025-03-01T00:00:00Z') }))).toEqual(['wild', 'wildDecoy']);
  });

  it('import id: exact; a malformed one matches nothing', async () => {
    expect(named(await visible(ta(), { importId }))).toEqual(['mixed']);
    expect(await visible(ta(), { importId: 'not-a-uuid' })).toEqual([]);
    expect(await visible(ta(), { importId: crypto.randomUUID() })).toEqual([]);
  });

  it('filters combine with the scope (an org admin cannot filter their way out of it)', async () => {
    expect(named(await visible(scopes.indiaAdmin, { target: 'CA__' }))).toEqual(['india']);
    expect(await visible(scopes.indiaAdmin, { target: ca.org('CA__US').id })).toEqual([]);
    expect(await visible(scopes.indiaAdmin, { action: 'member.setTenantAdmin' })).toEqual([]);
    expect(await visible(scopes.otherAdmin, { target: m.mem.memberId })).toEqual([]);
  });

  it('a target’s history: type and exact id, within the scope', async () => {
    const hist = await listTargetAuditEvents(db, scopes.indiaAdmin, { type: 'member', id: m.mem.memberId });
    expect(named(hist.rows.map((r) => r.id))).toEqual(['hr', 'mixed']);
    expect((await listTargetAuditEvents(db, scopes.indiaAdmin, { type: 'member', id: m.ta.memberId })).rows).toEqual([]);
    expect((await listTargetAuditEvents(db, scopes.otherAdmin, { type: 'member', id: m.mem.memberId })).rows).toEqual([]);
  });
});

describe('paging and export', () => {
  const bulk: number[] = [];
  let paged: TenantFixture;
  let scope: AuditScope;

  beforeAll(async () => {
    paged = await createTenantFixture(db, { slug: 'paged', orgPaths: ['PAGED__A'] });
    scope = { kind: 'tenant', tenantId: paged.id };
    // Same millisecond, different microseconds: a cursor with only milliseconds would lose rows.
    for (const us of ['123456', '123400', '123300', '123999']) {
      bulk.push(await event({ tenant: paged, orgs: ['PAGED__A'], at: `2025-04-01T00:00:00.${us}Z` }));
    }
    // One transaction: every row has the same now(), so only the id breaks the tie.
    await db.transaction(async (tx) => {
      for (let i = 0; i < 20; i++) {
        await recordAudit(tx, {
          tenantId: paged.id,
          actor: SYSTEM_ACTOR,
          action: 'member.create',
          target: { type: 'member', label: `m${i}@paged.test` },
          orgIdPaths: [paged.org('PAGED__A').idPath],
        });
      }
    });
    const rows = await db.select({ id: auditEvents.id }).from(auditEvents).where(eq(auditEvents.tenantId, paged.id));
    bulk.splice(0, bulk.length, ...rows.map((r) => r.id));
  });

  it('pages newest first with a total, without overlap', async () => {
    const first = await listAuditEvents(db, scope, {}, 1, 10);
    const second = await listAuditEvents(db, scope, {}, 2, 10);
    const third = await listAuditEvents(db, scope, {}, 3, 10);
    expect([first.total, second.total, third.total]).toEqual([24, 24, 24]);
    expect([first.rows.length, second.rows.length, third.rows.length]).toEqual([10, 10, 4]);
    const all = [...first.rows, ...second.rows, ...third.rows].map((r) => r.id);
    expect(new Set(all).size).toBe(24);
    expect((await listAuditEvents(db, scope, {}, 4, 10)).rows).toEqual([]);
    // The four April events are the oldest: last page, newest microsecond first.
    expect(third.rows.map((r) => r.createdAt.toISOString())).toEqual(
      ['2025-04-01T00:00:00.123Z', '2025-04-01T00:00:00.123Z', '2025-04-01T00:00:00.123Z', '2025-04-01T00:00:00.123Z'],
    );
  });

  it('clamps nonsense paging', async () => {
    const r = await listAuditEvents(db, scope, {}, 0, 0);
    expect(r.rows).toHaveLength(1);
    expect(r.total).toBe(24);
  });

  for (const batchSize of [1, 3, 7, 24, 1000]) {
    it(`export batches of ${batchSize} cover every row exactly once, in the screen's order`, async () => {
      const seen: number[] = [];
      let batches = 0;
      for await (const batch of streamAuditEvents(db, scope, {}, batchSize)) {
        expect(batch.length).toBeLessThanOrEqual(batchSize);
        expect(batch.length).toBeGreaterThan(0);
        seen.push(...batch.map((r) => r.id));
        batches++;
      }
      expect(batches).toBe(Math.ceil(24 / batchSize));
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort((a, b) => a - b)).toEqual([...bulk].sort((a, b) => a - b));
      const listed = (await listAuditEvents(db, scope, {}, 1, 500)).rows.map((r) => r.id);
      expect(seen).toEqual(listed);
    });
  }

  it('export honours scope and filters', async () => {
    const seen: number[] = [];
    for await (const batch of streamAuditEvents(db, scopes.indiaAdmin, {}, 1)) seen.push(...batch.map((r) => r.id));
    expect(named(seen)).toEqual(['hr', 'india', 'mixed']);
    const filtered: number[] = [];
    for await (const batch of streamAuditEvents(db, scope, { target: 'm1' }, 2)) filtered.push(...batch.map((r) => r.id));
    expect(filtered).toHaveLength(11); // m1, m10 … m19
    const none: number[] = [];
    for await (const batch of streamAuditEvents(db, scopes.member, {}, 2)) none.push(...batch.map((r) => r.id));
    expect(none).toEqual([]);
  });
});
