import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { ForbiddenError } from '@/lib/errors';
import { actorFor, addMember, createOperator, createTenantFixture } from '@/lib/testing/fixtures';
import { expectRefused } from '@/lib/testing/refusals';
import { listTenantsWithCounts } from './tenants';

let tdb: TestDatabase;
let db: Database;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
});

afterAll(async () => {
  await tdb?.drop();
});

describe('listTenantsWithCounts', () => {
  it('lists every tenant by name with its org and member counts for the operator; everyone else is refused', async () => {
    const ca = await createTenantFixture(db, { slug: 'ca', name: 'CA', orgPaths: ['CA__India', 'CA__US'] });
    const other = await createTenantFixture(db, { slug: 'other', name: 'BETA' });
    const ta = await addMember(db, ca, { email: 'ta@ca.test', isTenantAdmin: true, orgs: [{ path: 'CA' }] });
    const oa = await addMember(db, ca, { email: 'oa@ca.test', orgs: [{ path: 'CA__India', isAdmin: true }] });
    const mem = await addMember(db, ca, { email: 'mem@ca.test', orgs: [{ path: 'CA__India' }] });
    const op = await actorFor(db, await createOperator(db, { email: 'op@platform.test' }));

    const rows = await listTenantsWithCounts(db, op);
    expect(rows.map((r) => ({ slug: r.slug, orgs: r.orgs, members: r.members }))).toEqual([
      { slug: 'other', orgs: 1, members: 0 },
      { slug: 'ca', orgs: 3, members: 3 },
    ]);
    expect(rows[0]!.id).toBe(other.id);

    // Tenant admin, org admin, member: the operator's screen is not theirs.
    for (const m of [ta, oa, mem]) {
      const actor = await actorFor(db, m.userId, ca);
      await expectRefused(db, () => listTenantsWithCounts(db, actor), ForbiddenError);
    }
  });
});
