import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { adminScope, type AdminScope } from '@/lib/authz';
import { NotFoundError } from '@/lib/errors';
import { groupMembers } from '@/db/schema';
import { actorFor, addGroup, addMember, createTenantFixture, type MemberFixture, type TenantFixture } from '@/lib/testing/fixtures';
import { COLLECT_MAX, listMembers, MEMBER_SORTS, normalizeSearch, SEARCH_COLLECT_MAX, searchCondition, type MemberListQuery, type MemberListRow } from './member-list';

let tdb: TestDatabase;
let db: Database;
let ca: TenantFixture;
let other: TenantFixture;
const m: Record<string, MemberFixture> = {};
let tenantScope: AdminScope;
let indiaScope: AdminScope;
let memberScope: AdminScope;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
  ca = await createTenantFixture(db, { slug: 'ca', orgPaths: ['CA__India__HR', 'CA__US__HR', 'CA__Indiana'] });
  other = await createTenantFixture(db, { slug: 'other', orgPaths: ['Other__Sales'] });
  const add = async (key: string, options: Parameters<typeof addMember>[2], tenant = ca) => {
    m[key] = await addMember(db, tenant, options);
  };
  await add('admin', { email: 'admin@ca.example', firstName: 'Akiko', lastName: 'Sato', isTenantAdmin: true, orgs: [{ path: 'CA', isAdmin: true }] });
  await add('india', { email: 'india.admin@ca.example', firstName: 'Priya', lastName: 'Raman', orgs: [{ path: 'CA__India', isAdmin: true }] });
  await add('ravi', { email: 'ravi.kumar@ca.example', firstName: 'Ravi', lastName: 'Kumar', orgs: [{ path: 'CA__India__HR' }] });
  await add('taro', { email: 'taro.yamada@ca.example', firstName: '太郎', lastName: '山田', orgs: [{ path: 'CA__India' }, { path: 'CA__US', isAdmin: true }] });
  await add('john', { email: 'John.Smith@CA.example', firstName: 'John', lastName: 'Smith', orgs: [{ path: 'CA__US' }] });
  await add('mary', { email: 'mary.jones@ca.example', firstName: 'Mary', lastName: 'Jones', status: 'deactivated', orgs: [{ path: 'CA__US__HR' }] });
  await add('hana', { email: 'hana.suzuki@ca.example', firstName: '花子', lastName: '鈴木', status: 'invited', orgs: [{ path: 'CA__India' }] });
  await add('indy', { email: 'indy@ca.example', firstName: 'Indy', lastName: 'Anna', orgs: [{ path: 'CA__Indiana' }] });
  // LIKE wildcards in names: only a literal match may find these.
  await add('under', { email: 'under_score@ca.example', firstName: 'Ann_a', lastName: '100%', orgs: [{ path: 'CA__US' }] });
  await add('plain', { email: 'underxscore@ca.example', firstName: 'Annxa', lastName: '1000', orgs: [{ path: 'CA__US' }] });
  await add('slash', { email: 'slash@ca.example', firstName: 'Back\\slash', lastName: 'Zed', orgs: [{ path: 'CA__US' }] });
  // Another tenant: a look-alike, and taro again (one identity, two tenants).
  await add('otherJohn', { email: 'john.smithers@other.example', firstName: 'John', lastName: 'Smithers', orgs: [{ path: 'Other__Sales' }] }, other);
  await add('otherTaro', { email: 'taro.yamada@ca.example', orgs: [{ path: 'Other__Sales', isAdmin: true }] }, other);

  tenantScope = await adminScope(db, await actorFor(db, m.admin!.userId, ca));
  indiaScope = await adminScope(db, await actorFor(db, m.india!.userId, ca));
  memberScope = await adminScope(db, await actorFor(db, m.ravi!.userId, ca));
});

afterAll(async () => {
  await tdb?.drop();
});

const keysOf = (ids: string[]) => ids.map((id) => Object.entries(m).find(([, f]) => f.memberId === id)?.[0] ?? id);
async function list(scope: AdminScope, query: MemberListQuery = {}) {
  const result = await listMembers(db, scope, { pageSize: 200, ...query });
  return { ...result, keys: keysOf(result.rows.map((r) => r.memberId)) };
}
const search = async (q: string, scope = tenantScope) => (await list(scope, { q })).keys.sort();
const CA_ALL = ['admin', 'india', 'ravi', 'taro', 'john', 'mary', 'hana', 'indy', 'under', 'plain', 'slash'];

describe('listMembers: search', () => {
  it('finds by email prefix, case-insensitively', async () => {
    expect(await search('john.')).toEqual(['john']);
    expect(await search('JOHN.SMITH@ca')).toEqual(['john']);
    expect(await search('india.admin@')).toEqual(['india']);
  });

  it('finds by first name, last name and full name in either order', async () => {
    expect(await search('rav')).toEqual(['ravi']);
    expect(await search('KUM')).toEqual(['ravi']);
    expect(await search('ravi kum')).toEqual(['ravi']);
    expect(await search('Kumar  Ra')).toEqual(['ravi']);
    expect(await search('  ravi kumar ')).toEqual(['ravi']);
    expect(await search('ravi x')).toEqual([]);
    expect(await search('av')).toEqual([]); // a prefix, not a substring
  });

  it('finds Japanese names: family or given name, with or without a space, full-width letters', async () => {
    expect(await search('山田')).toEqual(['taro']);
    expect(await search('山')).toEqual(['taro']);
    expect(await search('太郎')).toEqual(['taro']);
    expect(await search('山田 太')).toEqual(['taro']);
    expect(await search('山田太郎')).toEqual(['taro']);
    expect(await search('山田　太郎')).toEqual(['taro']); // ideographic space
    expect(await search('太郎 山田')).toEqual(['taro']);
    expect(await search('鈴木 花')).toEqual(['hana']);
    expect(await search('ＲＡＶＩ')).toEqual(['ravi']);
  });

  it('treats LIKE wildcards literally', async () => {
    expect(await search('ann_')).toEqual(['under']);
    expect(await search('ann')).toEqual(['indy', 'plain', 'under']); // Indy Anna too
    expect(await search('100%')).toEqual(['under']);
    expect(await search('100')).toEqual(['plain', 'under']);
    expect(await search('%')).toEqual([]);
    expect(await search('_')).toEqual([]);
    expect(await search('under_')).toEqual(['under']);
    expect(await search('back\\')).toEqual(['slash']);
    expect(await search('\\')).toEqual([]);
  });

  it('never finds another tenant’s members', async () => {
    expect(await search('john')).toEqual(['john']);
    expect(await search('smithers')).toEqual([]);
    expect(await search('john.smithers')).toEqual([]);
  });
});

describe('listMembers: filters, sort and paging', () => {
  it('lists the whole tenant, and only it, with status, admin flags and org chips', async () => {
    const { keys, total, rows } = await list(tenantScope);
    expect(keys.sort()).toEqual([...CA_ALL].sort());
    expect(total).toBe(CA_ALL.length);
    const taro = rows.find((r) => r.memberId === m.taro!.memberId)!;
    expect(taro).toMatchObject({ email: 'taro.yamada@ca.example', firstName: '太郎', lastName: '山田', status: 'active', isTenantAdmin: false });
    expect(taro.orgs.map((o) => [o.namePath, o.isAdmin])).toEqual([
      ['CA__India', false],
      ['CA__US', true],
    ]);
    expect(rows.find((r) => r.memberId === m.admin!.memberId)?.isTenantAdmin).toBe(true);
  });

  it('filters by status', async () => {
    expect((await list(tenantScope, { status: 'deactivated' })).keys).toEqual(['mary']);
    expect((await list(tenantScope, { status: 'invited' })).keys).toEqual(['hana']);
    expect((await list(tenantScope, { status: 'active' })).total).toBe(CA_ALL.length - 2);
  });

  it('filters by administrator kind', async () => {
    expect((await list(tenantScope, { admin: 'tenant' })).keys).toEqual(['admin']);
    expect((await list(tenantScope, { admin: 'org' })).keys.sort()).toEqual(['admin', 'india', 'taro']);
    expect((await list(tenantScope, { admin: 'any' })).keys.sort()).toEqual(['admin', 'india', 'taro']);
    expect((await list(tenantScope, { admin: 'org', status: 'deactivated' })).keys).toEqual([]);
  });

  it('filters by org, with or without its sub-orgs', async () => {
    expect((await list(tenantScope, { orgId: ca.org('CA__US').id })).keys.sort()).toEqual(['john', 'plain', 'slash', 'taro', 'under']);
    expect((await list(tenantScope, { orgId: ca.org('CA__US').id, includeSubOrgs: true })).keys.sort()).toEqual(['john', 'mary', 'plain', 'slash', 'taro', 'under']);
    expect((await list(tenantScope, { orgId: ca.org('CA__India').id, includeSubOrgs: true, q: 'r' })).keys.sort()).toEqual(['india', 'ravi']); // Ravi, and Priya Raman
    // CA__Indiana is not under CA__India, whatever the name prefix.
    expect((await list(tenantScope, { orgId: ca.org('CA__India').id, includeSubOrgs: true })).keys.sort()).toEqual(['hana', 'india', 'ravi', 'taro']);
    expect((await list(tenantScope, { orgId: ca.root.id, includeSubOrgs: true })).total).toBe(CA_ALL.length);
    expect((await list(tenantScope, { orgId: ca.org('CA__US__HR').id, status: 'active' })).keys).toEqual([]);
  });

  it('answers NotFound for an org of another tenant, an unknown or a malformed id', async () => {
    await expect(listMembers(db, tenantScope, { orgId: other.org('Other__Sales').id })).rejects.toBeInstanceOf(NotFoundError);
    await expect(listMembers(db, tenantScope, { orgId: crypto.randomUUID() })).rejects.toBeInstanceOf(NotFoundError);
    await expect(listMembers(db, tenantScope, { orgId: 'not-a-uuid' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('sorts by name in the locale’s order, by email, by status and by date', async () => {
    const byName = (await list(tenantScope, { sort: 'name', locale: 'en' })).rows.map((r) => `${r.firstName} ${r.lastName}`);
    expect(byName.slice(0, 5)).toEqual(['Akiko Sato', 'Ann_a 100%', 'Annxa 1000', 'Back\\slash Zed', 'Indy Anna']);
    const byFamily = (await list(tenantScope, { sort: 'name', locale: 'ja', dir: 'desc' })).rows.map((r) => r.lastName);
    expect(byFamily.slice(0, 3)).toEqual(['鈴木', '山田', 'Zed']);
    const emails = (await list(tenantScope, { sort: 'email', dir: 'desc' })).rows.map((r) => r.email.toLowerCase());
    expect(emails).toEqual([...emails].sort().reverse());
    const statuses = (await list(tenantScope, { sort: 'status' })).rows.map((r) => r.status);
    expect(statuses).toEqual([...Array(CA_ALL.length - 2).fill('active'), 'invited', 'deactivated']);
    const created = (await list(tenantScope, { sort: 'created' })).rows.map((r) => r.createdAt.getTime());
    expect(created).toEqual([...created].sort((a, b) => a - b));
    // A search returns the same row shape (dates included) as the plain list.
    const [viaSearch] = (await list(tenantScope, { q: 'ravi' })).rows;
    const [viaList] = (await list(tenantScope, { orgId: ca.org('CA__India__HR').id })).rows;
    expect(viaSearch).toEqual(viaList);
  });

  it('pages with totals; page numbers and cursors give the same pages for every sort', async () => {
    for (const sort of MEMBER_SORTS) {
      for (const dir of ['asc', 'desc'] as const) {
        for (const q of [undefined, 'a']) {
          const base = { sort, dir, q, locale: 'ja' as const };
          const all = (await listMembers(db, tenantScope, { ...base, pageSize: 200 })).rows.map((r) => r.memberId);
          const byPage: string[] = [];
          const byCursor: string[] = [];
          let cursorPage = await listMembers(db, tenantScope, { ...base, pageSize: 3 });
          for (let page = 1; page <= Math.ceil(all.length / 3); page++) {
            const result = await listMembers(db, tenantScope, { ...base, pageSize: 3, page });
            expect(result.total).toBe(all.length);
            byPage.push(...result.rows.map((r) => r.memberId));
            byCursor.push(...cursorPage.rows.map((r) => r.memberId));
            const last = cursorPage.rows.at(-1)!.memberId;
            cursorPage = await listMembers(db, tenantScope, { ...base, pageSize: 3, page: page + 1, cursor: { direction: 'after', memberId: last } });
          }
          expect(byPage, `${sort} ${dir} ${q}`).toEqual(all);
          expect(byCursor, `${sort} ${dir} ${q}`).toEqual(all);
          if (q) continue; // a search pages by number only
          // Back from the last page with `before` cursors.
          const back: string[][] = [];
          let page = await listMembers(db, tenantScope, { ...base, pageSize: 3, page: Math.ceil(all.length / 3) });
          back.unshift(page.rows.map((r) => r.memberId));
          while (back.flat().length < all.length) {
            page = await listMembers(db, tenantScope, { ...base, pageSize: 3, cursor: { direction: 'before', memberId: page.rows[0]!.memberId } });
            back.unshift(page.rows.map((r) => r.memberId));
          }
          expect(back.flat(), `${sort} ${dir} back`).toEqual(all);
        }
      }
    }
  });

  it('clamps the page size and reports an empty page past the end with the real total', async () => {
    expect((await listMembers(db, tenantScope, { pageSize: 10_000 })).pageSize).toBe(200);
    expect((await listMembers(db, tenantScope, { pageSize: 0 })).pageSize).toBe(1);
    const past = await listMembers(db, tenantScope, { page: 50, pageSize: 5 });
    expect(past.rows).toEqual([]);
    expect(past.total).toBe(CA_ALL.length);
    const pastSearch = await listMembers(db, tenantScope, { page: 50, pageSize: 5, q: 'ann' });
    expect(pastSearch).toMatchObject({ rows: [], total: 3 });
  });

  it('ignores a cursor from another tenant or outside the scope (falls back to the page number)', async () => {
    const first = await listMembers(db, tenantScope, { pageSize: 3 });
    const foreign = await listMembers(db, tenantScope, { pageSize: 3, page: 1, cursor: { direction: 'after', memberId: m.otherJohn!.memberId } });
    expect(foreign.rows.map((r) => r.memberId)).toEqual(first.rows.map((r) => r.memberId));
    const indiaFirst = await listMembers(db, indiaScope, { pageSize: 2 });
    const outside = await listMembers(db, indiaScope, { pageSize: 2, cursor: { direction: 'after', memberId: m.john!.memberId } });
    expect(outside.rows.map((r) => r.memberId)).toEqual(indiaFirst.rows.map((r) => r.memberId));
  });
});

describe('listMembers: org administrator scope', () => {
  it('lists only members with a membership in the subtree (CA__Indiana is not CA__India)', async () => {
    const { keys, total } = await list(indiaScope);
    expect(keys.sort()).toEqual(['hana', 'india', 'ravi', 'taro']);
    expect(total).toBe(4);
  });

  it('shows only in-scope org chips: taro’s CA__US membership stays invisible', async () => {
    const { rows } = await list(indiaScope);
    const taro = rows.find((r) => r.memberId === m.taro!.memberId)!;
    expect(taro.orgs.map((o) => o.namePath)).toEqual(['CA__India']);
    expect(JSON.stringify(rows)).not.toContain('CA__US');
  });

  it('never finds out-of-scope members by search or filter', async () => {
    expect(await search('john', indiaScope)).toEqual([]);
    expect(await search('mary', indiaScope)).toEqual([]);
    expect(await search('indy', indiaScope)).toEqual([]);
    expect(await search('山田', indiaScope)).toEqual(['taro']);
    expect((await list(indiaScope, { status: 'deactivated' })).keys).toEqual([]);
    // taro administers CA__US, outside the scope: not an org admin as far as this admin can see.
    expect((await list(indiaScope, { admin: 'org' })).keys).toEqual(['india']);
    expect((await list(indiaScope, { admin: 'tenant' })).keys).toEqual([]);
  });

  it('answers NotFound for an org outside the subtree; its own orgs work', async () => {
    await expect(listMembers(db, indiaScope, { orgId: ca.org('CA__US').id })).rejects.toBeInstanceOf(NotFoundError);
    await expect(listMembers(db, indiaScope, { orgId: ca.org('CA__Indiana').id })).rejects.toBeInstanceOf(NotFoundError);
    await expect(listMembers(db, indiaScope, { orgId: ca.root.id })).rejects.toBeInstanceOf(NotFoundError);
    expect((await list(indiaScope, { orgId: ca.org('CA__India__HR').id })).keys).toEqual(['ravi']);
    const india = await list(indiaScope, { orgId: ca.org('CA__India').id, includeSubOrgs: true });
    expect(india.keys.sort()).toEqual(['hana', 'india', 'ravi', 'taro']);
    expect(india.rows.find((r) => r.memberId === m.taro!.memberId)?.orgs.map((o) => o.namePath)).toEqual(['CA__India']);
  });

  it('gives a plain member nothing', async () => {
    expect(memberScope.kind).toBe('none');
    expect(await listMembers(db, memberScope)).toMatchObject({ rows: [], total: 0 });
    await expect(listMembers(db, memberScope, { orgId: ca.org('CA__India__HR').id })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists the other tenant’s members to its own admin only', async () => {
    const otherScope = await adminScope(db, await actorFor(db, m.otherTaro!.userId, other));
    const { keys, rows } = await list(otherScope);
    expect(keys.sort()).toEqual(['otherJohn', 'otherTaro']);
    expect(rows.flatMap((r) => r.orgs.map((o) => o.namePath))).toEqual(['Other__Sales', 'Other__Sales']);
  });
});

describe('listMembers: group filter (in / not in a user group)', () => {
  let sales: string;
  let empty: string;
  let otherGroup: string;
  const SALES = ['taro', 'john', 'mary', 'hana', 'under'];
  const NOT_SALES = CA_ALL.filter((k) => !SALES.includes(k));

  beforeAll(async () => {
    sales = await addGroup(db, ca, { name: 'Sales' });
    empty = await addGroup(db, ca, { name: 'Empty' });
    otherGroup = await addGroup(db, other, { name: 'Sales' });
    await db.insert(groupMembers).values(SALES.map((k) => ({ tenantId: ca.id, groupId: sales, memberId: m[k]!.memberId })));
    await db.insert(groupMembers).values({ tenantId: other.id, groupId: otherGroup, memberId: m.otherJohn!.memberId });
  });

  const inSales = (member: boolean, query: MemberListQuery = {}) => list(tenantScope, { ...query, group: { id: sales, member } });

  it('lists the members in the group, and those not in it, with exact totals', async () => {
    expect((await inSales(true)).keys.sort()).toEqual([...SALES].sort());
    expect((await inSales(true)).total).toBe(SALES.length);
    expect((await inSales(false)).keys.sort()).toEqual([...NOT_SALES].sort());
    expect((await inSales(false)).total).toBe(NOT_SALES.length);
    expect(await list(tenantScope, { group: { id: empty, member: true } })).toMatchObject({ rows: [], total: 0 });
    expect((await list(tenantScope, { group: { id: empty, member: false } })).total).toBe(CA_ALL.length);
  });

  it('combines with the search, status, org and admin filters', async () => {
    expect((await inSales(true, { q: 'j' })).keys.sort()).toEqual(['john', 'mary']); // Mary Jones
    expect((await inSales(false, { q: 'j' })).keys).toEqual([]);
    expect((await inSales(false, { q: 'rav' })).keys).toEqual(['ravi']);
    expect((await inSales(true, { q: '山田 太' })).keys).toEqual(['taro']);
    expect((await inSales(true, { q: 'ann_' })).keys).toEqual(['under']); // wildcards stay literal
    expect((await inSales(false, { q: 'ann_' })).keys).toEqual([]);
    expect(await inSales(true, { status: 'deactivated' })).toMatchObject({ total: 1, keys: ['mary'] });
    expect(await inSales(false, { status: 'active' })).toMatchObject({ total: NOT_SALES.length });
    expect(await inSales(false, { status: 'invited' })).toMatchObject({ total: 0, rows: [] });
    expect((await inSales(true, { orgId: ca.org('CA__US').id })).keys.sort()).toEqual(['john', 'taro', 'under']);
    expect((await inSales(false, { orgId: ca.org('CA__US').id, includeSubOrgs: true })).keys.sort()).toEqual(['plain', 'slash']);
    expect((await inSales(true, { admin: 'org' })).keys).toEqual(['taro']);
    expect((await inSales(false, { admin: 'any' })).keys.sort()).toEqual(['admin', 'india']);
  });

  it('pages by number and by cursor, both ways, in every sort', async () => {
    for (const member of [true, false]) {
      for (const sort of MEMBER_SORTS) {
        for (const dir of ['asc', 'desc'] as const) {
          const base = { sort, dir, locale: 'en' as const, group: { id: sales, member } };
          const all = (await listMembers(db, tenantScope, { ...base, pageSize: 200 })).rows.map((r) => r.memberId);
          const byPage: string[] = [];
          const byCursor: string[] = [];
          let current = await listMembers(db, tenantScope, { ...base, pageSize: 2 });
          const pages = Math.ceil(all.length / 2);
          for (let page = 1; page <= pages; page++) {
            const result = await listMembers(db, tenantScope, { ...base, pageSize: 2, page });
            expect(result.total).toBe(all.length);
            byPage.push(...result.rows.map((r) => r.memberId));
            byCursor.push(...current.rows.map((r) => r.memberId));
            if (page < pages) current = await listMembers(db, tenantScope, { ...base, pageSize: 2, page: page + 1, cursor: { direction: 'after', memberId: current.rows.at(-1)!.memberId } });
          }
          expect(byPage, `${member} ${sort} ${dir}`).toEqual(all);
          expect(byCursor, `${member} ${sort} ${dir} cursor`).toEqual(all);
          const back: string[] = current.rows.map((r) => r.memberId);
          for (let page = pages - 1; page >= 1; page--) {
            current = await listMembers(db, tenantScope, { ...base, pageSize: 2, page, cursor: { direction: 'before', memberId: current.rows[0]!.memberId } });
            back.unshift(...current.rows.map((r) => r.memberId));
          }
          expect(back, `${member} ${sort} ${dir} back`).toEqual(all);
        }
      }
    }
  });

  it('keeps paging after the cursor row left the list (added to the group meanwhile)', async () => {
    const g = await addGroup(db, ca, { name: 'Moving' });
    const first = await listMembers(db, tenantScope, { pageSize: 3, group: { id: g, member: false } });
    const last = first.rows.at(-1)!.memberId;
    await db.insert(groupMembers).values(first.rows.map((r) => ({ tenantId: ca.id, groupId: g, memberId: r.memberId })));
    const next = await listMembers(db, tenantScope, { pageSize: 3, page: 2, group: { id: g, member: false }, cursor: { direction: 'after', memberId: last } });
    const fresh = await listMembers(db, tenantScope, { pageSize: 3, page: 1, group: { id: g, member: false } });
    expect(next.rows.map((r) => r.memberId)).toEqual(fresh.rows.map((r) => r.memberId));
    expect(next.total).toBe(CA_ALL.length - 3);
  });

  it('answers NotFound for another tenant’s group, an unknown or malformed id, and outside a tenant-wide scope', async () => {
    for (const id of [otherGroup, crypto.randomUUID(), 'not-a-uuid']) {
      for (const member of [true, false]) {
        await expect(listMembers(db, tenantScope, { group: { id, member } })).rejects.toBeInstanceOf(NotFoundError);
      }
    }
    // Groups are tenant-wide: an org administrator's or a plain member's scope may not filter by one.
    await expect(listMembers(db, indiaScope, { group: { id: sales, member: true } })).rejects.toBeInstanceOf(NotFoundError);
    await expect(listMembers(db, indiaScope, { group: { id: sales, member: false } })).rejects.toBeInstanceOf(NotFoundError);
    await expect(listMembers(db, memberScope, { group: { id: sales, member: true } })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('never lists another tenant’s members, in or out of its own group', async () => {
    // The other tenant's tenant-wide scope (its tenant admin's).
    const otherScope: AdminScope = { kind: 'tenant', tenantId: other.id };
    expect((await list(otherScope, { group: { id: otherGroup, member: true } })).keys).toEqual(['otherJohn']);
    expect((await list(otherScope, { group: { id: otherGroup, member: false } })).keys).toEqual(['otherTaro']);
    await expect(listMembers(db, otherScope, { group: { id: sales, member: true } })).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('listMembers: broad searches (more than COLLECT_MAX matches)', () => {
  let big: TenantFixture;
  let bigScope: AdminScope;
  // N "Alpha" members sort first in English order; N "山…" members sort after every Latin name. N is
  // above the point where a search is walked rather than collected (SEARCH_COLLECT_MAX).
  const N = SEARCH_COLLECT_MAX + 200;

  beforeAll(async () => {
    big = await createTenantFixture(db, { slug: 'big', orgPaths: ['Big__Unit', 'Big__Walk'] });
    const admin = await addMember(db, big, { email: 'admin@big.example', firstName: 'Zed', lastName: 'Admin', isTenantAdmin: true, orgs: [{ path: 'Big' }] });
    await db.execute(sql`
      with u as (
        insert into users (email, first_name, last_name, password_hash)
        select 'p' || i || '@big.example', case when i <= ${N} then 'Alpha' || lpad(i::text, 5, '0') else '太郎' || i end,
               case when i <= ${N} then 'Person' else '山' || (i % 7) end, 'x'
        from generate_series(1, ${2 * N}) as i
        returning id
      ), m as (
        insert into tenant_members (tenant_id, user_id, status) select ${big.id}::uuid, id, 'active' from u returning id
      )
      insert into org_memberships (tenant_id, org_id, member_id) select ${big.id}::uuid, ${big.org('Big__Unit').id}::uuid, id from m`);
    // Every fourth member also in Big__Walk: a large org (more than COLLECT_MAX) small enough to page through whole.
    await db.execute(sql`
      insert into org_memberships (tenant_id, org_id, member_id)
      select ${big.id}::uuid, ${big.org('Big__Walk').id}::uuid, id from (
        select id, row_number() over (order by id) as n from tenant_members where tenant_id = ${big.id}::uuid and not is_tenant_admin
      ) t where n % 4 = 0`);
    // Fresh statistics, as autovacuum would leave them: searches ask PostgreSQL's estimate.
    await db.execute(sql`analyze`);
    bigScope = await adminScope(db, await actorFor(db, admin.userId, big));
  });

  /** The expected order, computed here from every match. */
  async function expected(q: (r: MemberListRow) => boolean, key: (r: MemberListRow) => string) {
    const all = (await listMembers(db, bigScope, { pageSize: 200, page: 1 })).total;
    const rows: MemberListRow[] = [];
    for (let page = 1; page <= Math.ceil(all / 200); page++) rows.push(...(await listMembers(db, bigScope, { pageSize: 200, page, sort: 'created' })).rows);
    return rows.filter(q).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }
  const enKey = (r: MemberListRow) => `${r.firstName.toLowerCase()}\u0000${r.lastName.toLowerCase()}\u0000${r.userId}`;

  it('pages through dense matches without counting them all, by number and by cursor', async () => {
    const want = await expected((r) => r.firstName.toLowerCase().startsWith('alpha'), enKey);
    expect(want).toHaveLength(N);
    const first = await listMembers(db, bigScope, { q: 'alp', pageSize: 50 });
    expect(first).toMatchObject({ total: COLLECT_MAX, totalIsLowerBound: true });
    expect(first.rows.map((r) => r.memberId)).toEqual(want.slice(0, 50).map((r) => r.memberId));
    const third = await listMembers(db, bigScope, { q: 'alp', pageSize: 50, page: 3 });
    expect(third.rows.map((r) => r.memberId)).toEqual(want.slice(100, 150).map((r) => r.memberId));
    const next = await listMembers(db, bigScope, { q: 'alp', pageSize: 50, page: 4, cursor: { direction: 'after', memberId: third.rows.at(-1)!.memberId } });
    expect(next.rows.map((r) => r.memberId)).toEqual(want.slice(150, 200).map((r) => r.memberId));
    const back = await listMembers(db, bigScope, { q: 'alp', pageSize: 50, page: 2, cursor: { direction: 'before', memberId: third.rows[0]!.memberId } });
    expect(back.rows.map((r) => r.memberId)).toEqual(want.slice(50, 100).map((r) => r.memberId));
  });

  it('collects matches that sort far from the start, exactly counted', async () => {
    const want = await expected((r) => r.lastName.startsWith('山'), enKey);
    expect(want).toHaveLength(N);
    // A small page makes the walk's budget run out among the 1,100 Latin names first.
    const page = await listMembers(db, bigScope, { q: '山', pageSize: 10, page: 2, locale: 'en' });
    expect(page).toMatchObject({ total: N, totalIsLowerBound: false });
    expect(page.rows.map((r) => r.memberId)).toEqual(want.slice(10, 20).map((r) => r.memberId));
    // Family name first, backwards: the kanji names come first, densely: walked, not counted.
    const jaKey = (r: MemberListRow) => `${r.lastName.toLowerCase()}\u0000${r.firstName.toLowerCase()}\u0000${r.userId}`;
    const wantJa = (await expected((r) => r.lastName.startsWith('山'), jaKey)).reverse();
    const ja = await listMembers(db, bigScope, { q: '山', pageSize: 60, locale: 'ja', dir: 'desc' });
    expect(ja).toMatchObject({ total: COLLECT_MAX, totalIsLowerBound: true });
    expect(ja.rows.map((r) => r.memberId)).toEqual(wantJa.slice(0, 60).map((r) => r.memberId));
  });

  it('walks a large list by page number and by cursor, both ways, in every order (status groups included)', async () => {
    await db.execute(sql`update tenant_members set status = case when random() < 0.2 then 'invited' when random() < 0.1 then 'deactivated' else 'active' end
      where tenant_id = ${big.id}::uuid and not is_tenant_admin`);
    const rank = (s: string) => ['active', 'invited', 'deactivated'].indexOf(s);
    const sortKey: Record<(typeof MEMBER_SORTS)[number], (r: MemberListRow) => (string | number)[]> = {
      name: (r) => [r.lastName.toLowerCase(), r.firstName.toLowerCase(), r.userId],
      email: (r) => [r.email.toLowerCase()],
      status: (r) => [rank(r.status), r.lastName.toLowerCase(), r.firstName.toLowerCase(), r.userId],
      created: (r) => [r.createdAt.getTime(), r.memberId],
    };
    const cmp = (a: (string | number)[], b: (string | number)[]) => {
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
      return 0;
    };
    const walkOrg = big.org('Big__Walk').id;
    const [{ n: size }] = (await db.execute<{ n: number }>(sql`select count(*)::int as n from org_memberships where org_id = ${walkOrg}::uuid`)) as unknown as [{ n: number }];
    expect(size).toBeGreaterThan(COLLECT_MAX);
    for (const sort of MEMBER_SORTS) {
      for (const dir of ['asc', 'desc'] as const) {
        const base = { sort, dir, locale: 'ja' as const, pageSize: 200, orgId: walkOrg };
        const first = await listMembers(db, bigScope, base);
        expect(first).toMatchObject({ total: COLLECT_MAX, totalIsLowerBound: true });
        const pages = Math.ceil(size / 200);
        const byNumber: MemberListRow[] = [];
        const byCursor: MemberListRow[] = [];
        let current = first;
        for (let page = 1; page <= pages; page++) {
          byNumber.push(...(await listMembers(db, bigScope, { ...base, page })).rows);
          byCursor.push(...current.rows);
          if (page < pages) current = await listMembers(db, bigScope, { ...base, page: page + 1, cursor: { direction: 'after', memberId: current.rows.at(-1)!.memberId } });
        }
        const ids = byNumber.map((r) => r.memberId);
        expect(new Set(ids).size, `${sort} ${dir}`).toBe(size);
        expect(byCursor.map((r) => r.memberId), `${sort} ${dir} cursor`).toEqual(ids);
        const keys = byNumber.map(sortKey[sort]);
        expect(keys, `${sort} ${dir} order`).toEqual([...keys].sort((a, b) => (dir === 'asc' ? cmp(a, b) : cmp(b, a))));
        const back: string[] = current.rows.map((r) => r.memberId);
        for (let page = pages - 1; page >= 1; page--) {
          current = await listMembers(db, bigScope, { ...base, page, cursor: { direction: 'before', memberId: current.rows[0]!.memberId } });
          back.unshift(...current.rows.map((r) => r.memberId));
        }
        expect(back, `${sort} ${dir} back`).toEqual(ids);
      }
    }
    // About 300 list calls: 15 s on a busy 2-core host, near 30 s when more work shares it.
  }, 90_000);

  it('counts a large tenant exactly, by status too, and answers a page past the end with nothing', async () => {
    const all = await listMembers(db, bigScope, { pageSize: 10 });
    const active = await listMembers(db, bigScope, { status: 'active', pageSize: 10 });
    const [{ n }] = (await db.execute<{ n: number }>(sql`select count(*)::int as n from tenant_members where tenant_id = ${big.id}::uuid and status = 'active'`)) as unknown as [{ n: number }];
    expect(all).toMatchObject({ total: 2 * N + 1, totalIsLowerBound: false });
    expect(active).toMatchObject({ total: n, totalIsLowerBound: false });
    expect(await listMembers(db, bigScope, { pageSize: 10, page: 10_000 })).toMatchObject({ rows: [], total: 2 * N + 1 });
  });

  it('does not count a large org to the end, and still pages it by number and by cursor', async () => {
    const unit = { orgId: big.org('Big__Unit').id, pageSize: 100 };
    const first = await listMembers(db, bigScope, unit);
    expect(first).toMatchObject({ total: COLLECT_MAX, totalIsLowerBound: true });
    const third = await listMembers(db, bigScope, { ...unit, page: 3 });
    const viaCursor = await listMembers(db, bigScope, { ...unit, page: 3, cursor: { direction: 'after', memberId: (await listMembers(db, bigScope, { ...unit, page: 2 })).rows.at(-1)!.memberId } });
    expect(viaCursor.rows.map((r) => r.memberId)).toEqual(third.rows.map((r) => r.memberId));
    // A filter that leaves few is counted exactly again.
    expect(await listMembers(db, bigScope, { ...unit, q: 'alpha00001' })).toMatchObject({ total: 1, totalIsLowerBound: false });
  });

  it('pages a large group and the large rest of the tenant, exactly counted, by number and by cursor', async () => {
    const group = await addGroup(db, big, { name: 'Every third' });
    await db.execute(sql`
      insert into group_members (tenant_id, group_id, member_id)
      select ${big.id}::uuid, ${group}::uuid, id from (
        select id, row_number() over (order by id) as n from tenant_members where tenant_id = ${big.id}::uuid
      ) t where n % 3 = 0`);
    await db.execute(sql`analyze group_members`);
    const [{ n: size }] = (await db.execute<{ n: number }>(sql`select count(*)::int as n from group_members where group_id = ${group}::uuid`)) as unknown as [{ n: number }];
    expect(size).toBeGreaterThan(COLLECT_MAX);
    const everyone = 2 * N + 1;
    for (const member of [true, false]) {
      for (const sort of ['name', 'status'] as const) {
        const base = { sort, locale: 'en' as const, pageSize: 200, group: { id: group, member } };
        const first = await listMembers(db, bigScope, base);
        const want = member ? size : everyone - size;
        expect(first, `${member} ${sort}`).toMatchObject({ total: want, totalIsLowerBound: false });
        // Through the first pages by cursor, then a page by number, which must agree.
        const seen: string[] = first.rows.map((r) => r.memberId);
        let current = first;
        for (let page = 2; page <= 4; page++) {
          current = await listMembers(db, bigScope, { ...base, page, cursor: { direction: 'after', memberId: current.rows.at(-1)!.memberId } });
          seen.push(...current.rows.map((r) => r.memberId));
        }
        const byNumber = await listMembers(db, bigScope, { ...base, page: 4 });
        expect(byNumber.rows.map((r) => r.memberId)).toEqual(seen.slice(600, 800));
        const ids = new Set(seen);
        expect(ids.size).toBe(800);
        const inGroup = await db.execute<{ member_id: string }>(sql`select member_id from group_members where group_id = ${group}::uuid`);
        const members = new Set(inGroup.map((r) => r.member_id));
        expect(seen.every((id) => members.has(id) === member), `${member} ${sort} membership`).toBe(true);
      }
      // A search inside the group, or outside it: only matching members of the right side.
      // The prefix of ten names ("alpha0012" of Alpha00123) one of which is on that side: the group is
      // every third member by (random) id, so a fixed prefix would find none on one side now and then.
      const [onSide] = await db.execute<{ first_name: string }>(sql`
        select u.first_name from tenant_members t join users u on u.id = t.user_id
        where t.tenant_id = ${big.id}::uuid and u.first_name like 'Alpha%'
          and ${sql.raw(member ? '' : 'not')} exists (select 1 from group_members g where g.group_id = ${group}::uuid and g.member_id = t.id)
        order by u.first_name limit 1`);
      const prefix = onSide!.first_name.toLowerCase().slice(0, -1);
      const found = await listMembers(db, bigScope, { q: prefix, group: { id: group, member }, pageSize: 200 });
      const inGroup = new Set((await db.execute<{ member_id: string }>(sql`select member_id from group_members where group_id = ${group}::uuid`)).map((r) => r.member_id));
      expect(found.rows.length).toBeGreaterThan(0);
      expect(found.rows.every((r) => r.firstName.toLowerCase().startsWith(prefix) && inGroup.has(r.memberId) === member)).toBe(true);
      const broad = await listMembers(db, bigScope, { q: 'alp', group: { id: group, member }, pageSize: 50 });
      expect(broad.rows).toHaveLength(50);
      expect(broad.rows.every((r) => inGroup.has(r.memberId) === member)).toBe(true);
    }
    // By status: the exact count of the group's invited members, and of the others.
    const [{ n: invitedIn }] = (await db.execute<{ n: number }>(sql`select count(*)::int as n from group_members g join tenant_members t on t.id = g.member_id where g.group_id = ${group}::uuid and t.status = 'invited'`)) as unknown as [{ n: number }];
    const [{ n: invitedAll }] = (await db.execute<{ n: number }>(sql`select count(*)::int as n from tenant_members where tenant_id = ${big.id}::uuid and status = 'invited'`)) as unknown as [{ n: number }];
    expect((await listMembers(db, bigScope, { status: 'invited', group: { id: group, member: true } })).total).toBe(invitedIn);
    expect((await listMembers(db, bigScope, { status: 'invited', group: { id: group, member: false } })).total).toBe(invitedAll - invitedIn);
  });

  it('sorts a broad search by status or email as well', async () => {
    const byStatus = await listMembers(db, bigScope, { q: 'alp', sort: 'status', pageSize: 5 });
    expect(byStatus.rows).toHaveLength(5);
    const byEmail = await listMembers(db, bigScope, { q: 'p1', sort: 'email', dir: 'desc', pageSize: 5 });
    const emails = byEmail.rows.map((r) => r.email);
    expect(emails).toEqual([...emails].sort().reverse());
  });
});

describe('listMembers: names beyond ASCII, and the indexes on users', () => {
  let intl: TenantFixture;
  let intlScope: AdminScope;
  const people: Record<string, MemberFixture> = {};

  beforeAll(async () => {
    intl = await createTenantFixture(db, { slug: 'intl', orgPaths: ['Intl'] });
    const add = async (key: string, email: string, firstName: string, lastName: string, isTenantAdmin = false) => {
      people[key] = await addMember(db, intl, { email, firstName, lastName, isTenantAdmin, orgs: [{ path: 'Intl' }] });
    };
    await add('emma', 'emma@intl.example', 'emma', 'Stone', true);
    await add('zoe', 'zoe@intl.example', 'Zoë', 'Müller');
    await add('emile', 'emile@intl.example', 'ÉMILE', 'Dubois');
    await add('oystein', 'oystein@intl.example', 'Øystein', 'Ås');
    await add('taro', 'taro@intl.example', '太郎', '山田');
    intlScope = await adminScope(db, await actorFor(db, people.emma!.userId, intl));
  });

  const keys = (rows: MemberListRow[]) => rows.map((r) => Object.entries(people).find(([, p]) => p.memberId === r.memberId)?.[0]);

  it('lowers accented names as PostgreSQL does (É → é), in searches and sorts', async () => {
    const find = async (q: string) => keys((await listMembers(db, intlScope, { q })).rows).sort();
    expect(await find('émi')).toEqual(['emile']);
    expect(await find('ÉMILE DUB')).toEqual(['emile']);
    expect(await find('müller zo')).toEqual(['zoe']);
    expect(await find('øy')).toEqual(['oystein']);
    expect(await find('ås')).toEqual(['oystein']);
    expect(await find('山田太')).toEqual(['taro']);
    // Code point order of the lowered names (C.UTF-8 sorts so too): Latin letters, then accented ones, then kanji.
    expect(keys((await listMembers(db, intlScope, { sort: 'name', locale: 'en' })).rows)).toEqual(['emma', 'zoe', 'emile', 'oystein', 'taro']);
    expect(keys((await listMembers(db, intlScope, { sort: 'name', locale: 'ja', dir: 'desc' })).rows)).toEqual(['taro', 'oystein', 'emma', 'zoe', 'emile']);
  });

  it('every search branch can use an index on users: none scans the table', async () => {
    // With sequential scans priced out, a branch no index can answer still forces one (the OR needs every branch).
    for (const q of ['jo', 'john smi', 'smith john', '山田太', 'john.smith@ca', 'émi']) {
      const plan = await db.transaction(async (tx) => {
        await tx.execute(sql`set local enable_seqscan = off`);
        const rows = await tx.execute<{ 'QUERY PLAN': string }>(sql`explain select id from users where ${searchCondition(normalizeSearch(q))}`);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
      expect(plan, q).not.toMatch(/Seq Scan/);
      expect(plan, q).toMatch(/users_email_lower_uq/);
      expect(plan, q).toMatch(/users_first_last_idx/);
      expect(plan, q).toMatch(/users_last_first_idx/);
    }
  });
});
