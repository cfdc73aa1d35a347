import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { addGroup, addMember, addService, createTenantFixture } from '@/lib/testing/fixtures';
import { addGroupMembers, grantServiceAccess } from '@/lib/testing/permissions-fixtures';
import { loadTenantSnapshot, planDigest, type TenantSnapshot } from './snapshot';

let tdb: TestDatabase;
let db: Database;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
});
afterAll(async () => {
  await tdb?.drop();
});

/** Everything of a snapshot, in a form that compares by value (maps as sorted entries). */
function plain(s: TenantSnapshot) {
  const sorted = <V>(m: Map<string, V>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    ...s,
    orgsById: sorted(s.orgsById),
    orgsByPath: sorted(s.orgsByPath),
    members: sorted(s.members).map(([key, m]) => [key, { ...m, memberships: m.memberships.map((x) => ({ org: x.org.id, isAdmin: x.isAdmin })).sort((a, b) => (a.org < b.org ? -1 : 1)) }]),
    groupsByName: sorted(s.groupsByName),
    servicesByKey: sorted(s.servicesByKey),
  };
}

describe('loadTenantSnapshot read in pieces', () => {
  it('gives the same snapshot whatever the number of rows per fetch, and nothing of another tenant', async () => {
    const t = await createTenantFixture(db, { slug: 'pieces', name: 'P', orgPaths: ['P__A', 'P__B', 'P__A__C'] });
    const other = await createTenantFixture(db, { slug: 'pieces-other', name: 'O', orgPaths: ['O__A'] });
    const services = await Promise.all(['s1', 's2', 's3'].map((key) => addService(db, { key: `pieces-${key}` })));
    const groups = await Promise.all(['G1', 'G2'].map((name) => addGroup(db, t, { name })));
    const paths = ['P', 'P__A', 'P__B', 'P__A__C'];
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      // 0 to 3 memberships, services and groups each, in a spread of combinations.
      const orgs = paths.filter((_, k) => (i + k) % 3 !== 0).map((path, k) => ({ path, isAdmin: (i + k) % 5 === 0 }));
      const m = await addMember(db, t, { email: `Member${i}@Pieces.test`, firstName: `F${i}`, lastName: `L${i}`, status: i % 7 === 3 ? 'invited' : 'active', isTenantAdmin: i % 11 === 0, orgs: orgs.length > 0 ? orgs : [{ path: 'P' }] });
      ids.push(m.memberId);
      const mine = services.filter((_, k) => (i >> k) & 1);
      if (mine.length > 0) await grantServiceAccess(db, t, m.memberId, mine);
    }
    await addGroupMembers(db, t, groups[0]!, ids.filter((_, i) => i % 2 === 0));
    await addGroupMembers(db, t, groups[1]!, ids.filter((_, i) => i % 3 === 0));
    await addMember(db, other, { email: 'member1@pieces.test', orgs: [{ path: 'O__A' }] });
    await addMember(db, other, { email: 'stranger@pieces.test', orgs: [{ path: 'O' }] });

    const whole = await loadTenantSnapshot(db, t.id, { fetchRows: 100_000 });
    expect(whole.members.size).toBe(23);
    expect(whole.members.get('member1@pieces.test')?.sharedProfile).toBe(true);
    expect(whole.members.has('stranger@pieces.test')).toBe(false);
    expect([...whole.members.values()].some((m) => m.memberships.length >= 2 && m.services.length >= 2 && m.groups.length === 2)).toBe(true);
    for (const fetchRows of [1, 2, 5, 23]) {
      const pieces = await loadTenantSnapshot(db, t.id, { fetchRows });
      expect(plain(pieces)).toEqual(plain(whole));
      expect(planDigest(pieces, 'u', null)).toBe(planDigest(whole, 'u', null));
      // Members' orgs are the snapshot's own org objects; services sorted.
      for (const m of pieces.members.values()) {
        expect(m.memberships.every((x) => pieces.orgsById.get(x.org.id) === x.org)).toBe(true);
        expect(m.services).toEqual([...m.services].sort());
      }
    }
  });

  it('reads in a caller’s transaction (a savepoint) and leaves no cursor open', async () => {
    const t = await createTenantFixture(db, { slug: 'pieces-tx', name: 'T', orgPaths: [] });
    await addMember(db, t, { email: 'a@tx.test', orgs: [{ path: 'T' }] });
    await db.transaction(async (tx) => {
      const first = await loadTenantSnapshot(tx, t.id, { fetchRows: 1 });
      const again = await loadTenantSnapshot(tx, t.id, { fetchRows: 1 });
      expect(plain(again)).toEqual(plain(first));
      const open = await tx.execute<{ n: number }>(sql`select count(*)::int as n from pg_cursors`);
      expect(open[0]!.n).toBe(0);
    });
  });
});
