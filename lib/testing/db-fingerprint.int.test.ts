import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '@/db/client';
import { users } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { dbFingerprint } from './db-fingerprint';
import { addMember, createTenantFixture } from './fixtures';

let tdb: TestDatabase;
let db: Database;

beforeAll(async () => {
  tdb = await createTestDatabase();
  db = tdb.db;
});

afterAll(async () => {
  await tdb?.drop();
});

it('covers every table the refusal tests rely on, and sees a one-column change', async () => {
  const ca = await createTenantFixture(db, { slug: 'ca' });
  const member = await addMember(db, ca, { email: 'a@ca.test', orgs: [{ path: 'CA' }] });
  const before = await dbFingerprint(db);
  for (const table of ['users', 'tenants', 'tenant_members', 'organizations', 'org_memberships', 'service_access', 'user_tokens', 'email_messages', 'audit_events']) {
    expect(before, table).toHaveProperty(table);
  }
  expect(await dbFingerprint(db)).toEqual(before);
  await db.update(users).set({ lastName: 'Changed' }).where(eq(users.id, member.userId));
  const after = await dbFingerprint(db);
  expect(after.users).not.toBe(before.users);
  expect({ ...after, users: before.users }).toEqual(before);
});
