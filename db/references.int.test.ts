import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/db/testing';
import { addGroup, addMember, addService, createTenantFixture, type MemberFixture, type TenantFixture } from '@/lib/testing/fixtures';

/*
 * The references checked per statement by triggers instead of foreign keys (db/migrations/0011):
 * each must keep what its foreign key guaranteed — no child without its parent, the parent's delete action, and the same under
 * concurrency — with the error a foreign key gives (SQLSTATE 23503 and its constraint name).
 */

let tdb: TestDatabase;
let sql: postgres.Sql;
let other: postgres.Sql;
let tenant: TenantFixture;
let member: MemberFixture;
let serviceId: string;
let groupId: string;
const MISSING = '00000000-0000-4000-8000-0000000000ff';

beforeAll(async () => {
  tdb = await createTestDatabase();
  sql = postgres(tdb.url, { max: 2, onnotice: () => {} });
  other = postgres(tdb.url, { max: 1, onnotice: () => {} });
  tenant = await createTenantFixture(tdb.db, { slug: 'refs', orgPaths: ['Refs__Sales', 'Refs__Empty'] });
  member = await addMember(tdb.db, tenant, { email: 'ada@refs.example', orgs: [{ path: 'Refs__Sales' }] });
  serviceId = await addService(tdb.db, { key: 'refs-crm' });
  groupId = await addGroup(tdb.db, tenant, { name: 'Refs group' });
});

afterAll(async () => {
  await sql?.end();
  await other?.end();
  await tdb?.drop();
});

/** The error `run` throws, or a failure when it throws none. */
async function errorOf(run: () => Promise<unknown>): Promise<postgres.PostgresError> {
  try {
    await run();
  } catch (err) {
    return err as postgres.PostgresError;
  }
  throw new Error('expected an error');
}

/** How many rows a member has left: theirs, and their memberships, service access and group memberships. */
async function rowsOfMember(memberId: string) {
  const [left] = await sql`select (select count(*)::int from tenant_members where id = ${memberId}) as members,
                                  (select count(*)::int from org_memberships where member_id = ${memberId}) as memberships,
                                  (select count(*)::int from service_access where member_id = ${memberId}) as access,
                                  (select count(*)::int from group_members where member_id = ${memberId}) as groups`;
  return left;
}

async function expectForeignKeyError(run: () => Promise<unknown>, constraint: string) {
  const err = await errorOf(run);
  expect({ code: err.code, constraint: err.constraint_name }).toEqual({ code: '23503', constraint });
}

describe('statement-level references', () => {
  it('refuses children whose parent does not exist, on insert and on update, with the foreign key’s error', async () => {
    const t = tenant.id;
    const m = member.memberId;
    await expectForeignKeyError(
      () => sql`insert into tenant_members (tenant_id, user_id) values (${MISSING}, ${member.userId})`,
      'tenant_members_tenant_id_tenants_id_fk',
    );
    await expectForeignKeyError(
      () => sql`insert into tenant_members (tenant_id, user_id) values (${t}, ${MISSING})`,
      'tenant_members_user_id_users_id_fk',
    );
    await expectForeignKeyError(() => sql`update tenant_members set user_id = ${MISSING} where id = ${m}`, 'tenant_members_user_id_users_id_fk');
    await expectForeignKeyError(
      () => sql`insert into org_memberships (tenant_id, org_id, member_id) values (${t}, ${MISSING}, ${m})`,
      'org_memberships_org_fk',
    );
    // An org of another tenant is no parent of this tenant's membership.
    const elsewhere = await createTenantFixture(tdb.db, { slug: 'refs-other', orgPaths: ['Other__Team'] });
    const elsewhereMember = await addMember(tdb.db, elsewhere, { email: 'cy@other.example', orgs: [{ path: 'Other__Team' }] });
    await expectForeignKeyError(
      () => sql`insert into org_memberships (tenant_id, org_id, member_id) values (${t}, ${elsewhere.org('Other__Team').id}, ${m})`,
      'org_memberships_org_fk',
    );
    await expectForeignKeyError(
      () => sql`insert into service_access (tenant_id, member_id, service_id) values (${t}, ${m}, ${serviceId}), (${t}, ${m}, ${MISSING})`,
      'service_access_service_id_services_id_fk',
    );
    await expectForeignKeyError(
      () => sql`insert into group_members (tenant_id, group_id, member_id) values (${t}, ${MISSING}, ${m})`,
      'group_members_group_fk',
    );
    // Updates that point a child at a missing parent.
    await expectForeignKeyError(
      () => sql`update org_memberships set org_id = ${MISSING} where member_id = ${m}`,
      'org_memberships_org_fk',
    );
    const [loner] = await sql`insert into users (email) values ('loner@refs.example') returning id`;
    const [lonerMember] = await sql`insert into tenant_members (tenant_id, user_id) values (${t}, ${loner!.id}) returning id`;
    // A member never moves to another tenant (its children name the tenant too).
    expect((await errorOf(() => sql`update tenant_members set tenant_id = ${MISSING} where id = ${lonerMember!.id}`)).code).toBe('23503');
    // Children of a member that does not exist, or of another tenant's member.
    for (const [table, constraint] of [
      ['org_memberships', 'org_memberships_member_fk'],
      ['service_access', 'service_access_member_fk'],
      ['group_members', 'group_members_member_fk'],
    ] as const) {
      const parent = table === 'org_memberships' ? sql`org_id` : table === 'service_access' ? sql`service_id` : sql`group_id`;
      const parentId = table === 'org_memberships' ? tenant.org('Refs__Sales').id : table === 'service_access' ? serviceId : groupId;
      await expectForeignKeyError(() => sql`insert into ${sql(table)} (tenant_id, ${parent}, member_id) values (${t}, ${parentId}, ${MISSING})`, constraint);
      await expectForeignKeyError(() => sql`insert into ${sql(table)} (tenant_id, ${parent}, member_id) values (${t}, ${parentId}, ${elsewhereMember.memberId})`, constraint);
    }
    // Nothing of the refused statements stayed.
    const [counts] = await sql`select (select count(*)::int from service_access where member_id = ${m}) as access,
                                      (select count(*)::int from group_members where member_id = ${m}) as groups`;
    expect(counts).toEqual({ access: 0, groups: 0 });
  });

  it('accepts children whose parents exist, many in one statement', async () => {
    const t = tenant.id;
    const m = member.memberId;
    await sql`insert into service_access (tenant_id, member_id, service_id) values (${t}, ${m}, ${serviceId})`;
    await sql`insert into group_members (tenant_id, group_id, member_id) values (${t}, ${groupId}, ${m})`;
    await sql`update org_memberships set is_admin = true where member_id = ${m}`;
    const [counts] = await sql`select (select count(*)::int from service_access where member_id = ${m}) as access,
                                      (select count(*)::int from group_members where member_id = ${m}) as groups`;
    expect(counts).toEqual({ access: 1, groups: 1 });
    await sql`delete from service_access where member_id = ${m}`;
    await sql`delete from group_members where member_id = ${m}`;
  });

  it('finds member parents through their primary key, also when the statistics describe a smaller tenant', async () => {
    // Statistics taken now (a handful of members), then 2,000 members and their memberships in one
    // transaction, as an import's batch writes them. A lookup by (tenant_id, id) could use an index
    // where id is not a leading column and read every member of the tenant for each one.
    const big = await createTenantFixture(tdb.db, { slug: 'refs-big', orgPaths: ['Big__Team'] });
    await sql`analyze tenant_members`;
    const indexScans = async () => {
      await sql`select pg_stat_force_next_flush()`;
      const rows = await sql<{ indexrelname: string; idx_scan: number }[]>`
        select indexrelname, idx_scan::int from pg_stat_user_indexes where relname = 'tenant_members'`;
      return Object.fromEntries(rows.map((r) => [r.indexrelname, r.idx_scan]));
    };
    const before = await indexScans();
    await sql.begin(async (tx) => {
      const people = Array.from({ length: 2_000 }, (_, i) => `p${i}@big.example`);
      await tx`insert into users (email, first_name, last_name) select unnest(${people}::text[]), 'P', 'Q'`;
      await tx`insert into tenant_members (tenant_id, user_id) select ${big.id}, id from users where email like '%@big.example'`;
      await tx`insert into org_memberships (tenant_id, org_id, member_id)
               select ${big.id}, ${big.org('Big__Team').id}, m.id from tenant_members m join users u on u.id = m.user_id where u.email like '%@big.example'`;
    });
    const after = await indexScans();
    const used = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
    expect({ pkey: used('tenant_members_pkey') >= 2_000, createdIdx: used('tenant_members_tenant_created_idx'), uniqueIdx: used('tenant_members_tenant_id_uq') }).toEqual({
      pkey: true,
      createdIdx: 0,
      uniqueIdx: 0,
    });
  });

  it('refuses to delete an org with members or a service in use, and cascades a group’s members', async () => {
    const t = tenant.id;
    const m = member.memberId;
    await expectForeignKeyError(() => sql`delete from organizations where id = ${tenant.org('Refs__Sales').id}`, 'org_memberships_org_fk');
    await sql`delete from organizations where id = ${tenant.org('Refs__Empty').id}`; // no members: goes

    await sql`insert into service_access (tenant_id, member_id, service_id) values (${t}, ${m}, ${serviceId})`;
    await expectForeignKeyError(() => sql`delete from services where id = ${serviceId}`, 'service_access_service_id_services_id_fk');
    await sql`delete from service_access where member_id = ${m}`;

    const doomed = await addGroup(tdb.db, tenant, { name: 'Doomed group' });
    await sql`insert into group_members (tenant_id, group_id, member_id) values (${t}, ${doomed}, ${m})`;
    await sql`delete from user_groups where id = ${doomed}`;
    const [left] = await sql`select count(*)::int as n from group_members where group_id = ${doomed}`;
    expect(left!.n).toBe(0);
  });

  it('removing a member removes their memberships, service access and group memberships', async () => {
    const leaver = await addMember(tdb.db, tenant, { email: 'leaver@refs.example', orgs: [{ path: 'Refs__Sales' }] });
    await sql`insert into service_access (tenant_id, member_id, service_id) values (${tenant.id}, ${leaver.memberId}, ${serviceId})`;
    await sql`insert into group_members (tenant_id, group_id, member_id) values (${tenant.id}, ${groupId}, ${leaver.memberId})`;
    await sql`delete from tenant_members where id = ${leaver.memberId}`;
    expect(await rowsOfMember(leaver.memberId)).toEqual({ members: 0, memberships: 0, access: 0, groups: 0 });
  });

  it('deleting a user removes their memberships of tenants, and theirs; a user’s id does not change', async () => {
    const leaver = await addMember(tdb.db, tenant, { email: 'gone-user@refs.example', orgs: [{ path: 'Refs__Sales' }] });
    await sql`insert into service_access (tenant_id, member_id, service_id) values (${tenant.id}, ${leaver.memberId}, ${serviceId})`;
    const refused = await errorOf(() => sql`update users set id = ${MISSING} where id = ${leaver.userId}`);
    expect(refused.code).toBe('23503');
    await sql`delete from users where id = ${leaver.userId}`;
    expect(await rowsOfMember(leaver.memberId)).toEqual({ members: 0, memberships: 0, access: 0, groups: 0 });
  });

  it('deletes a whole tenant: its members go first, then its orgs', async () => {
    const gone = await createTenantFixture(tdb.db, { slug: 'refs-gone', orgPaths: ['Gone__Team'] });
    const someone = await addMember(tdb.db, gone, { email: 'bo@gone.example', orgs: [{ path: 'Gone__Team' }] });
    const group = await addGroup(tdb.db, gone, { name: 'Gone group' });
    await sql`insert into group_members (tenant_id, group_id, member_id) values (${gone.id}, ${group}, ${someone.memberId})`;
    await sql`insert into service_access (tenant_id, member_id, service_id) values (${gone.id}, ${someone.memberId}, ${serviceId})`;
    await sql`delete from tenants where id = ${gone.id}`;
    const [left] = await sql`select (select count(*)::int from tenant_members where tenant_id = ${gone.id}) as members,
                                    (select count(*)::int from organizations where tenant_id = ${gone.id}) as orgs,
                                    (select count(*)::int from service_access where tenant_id = ${gone.id}) as access`;
    expect(left).toEqual({ members: 0, orgs: 0, access: 0 });
  });

  it('refuses referenced key changes and parent deletes outside READ COMMITTED', async () => {
    const err = await errorOf(() => sql`update services set id = ${MISSING} where id = ${serviceId}`);
    expect(err.code).toBe('23503');
    const rr = await errorOf(() =>
      sql.begin('isolation level repeatable read', (tx) => tx`delete from user_groups where id = ${groupId}`),
    );
    expect(rr.code).toBe('0A000');
    const [still] = await sql`select count(*)::int as n from user_groups where id = ${groupId}`;
    expect(still!.n).toBe(1);
  });

  it('under concurrency: a parent delete waits for the transaction that references it, then sees its rows', async () => {
    const t = tenant.id;
    const m = member.memberId;
    const restricted = await addService(tdb.db, { key: 'refs-restricted' });
    const cascaded = await addGroup(tdb.db, tenant, { name: 'Cascaded group' });

    // Restrict: the service gains a user while its delete waits; the delete then fails.
    let deleteService: Promise<postgres.PostgresError | null> | undefined;
    await sql.begin(async (tx) => {
      await tx`insert into service_access (tenant_id, member_id, service_id) values (${t}, ${m}, ${restricted})`;
      deleteService = other`delete from services where id = ${restricted}`.then(
        () => null,
        (e: postgres.PostgresError) => e,
      );
      // The delete is blocked on this transaction's key-share lock, not done.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const [waiting] = await tx`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like 'delete from services%'`;
      expect(waiting!.n).toBe(1);
    });
    const refused = await deleteService!;
    expect({ code: refused?.code, constraint: refused?.constraint_name }).toEqual({ code: '23503', constraint: 'service_access_service_id_services_id_fk' });

    // Cascade: the group gains a member while its delete waits; the delete then takes the member with it.
    let deleteGroup: Promise<unknown> | undefined;
    await sql.begin(async (tx) => {
      await tx`insert into group_members (tenant_id, group_id, member_id) values (${t}, ${cascaded}, ${m})`;
      deleteGroup = other`delete from user_groups where id = ${cascaded}`.execute();
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    await deleteGroup;
    const [left] = await sql`select count(*)::int as n from group_members where group_id = ${cascaded}`;
    expect(left!.n).toBe(0);

    // The other way round: a reference to a parent whose delete is in flight waits, then fails.
    const vanishing = await addGroup(tdb.db, tenant, { name: 'Vanishing group' });
    let insert: Promise<postgres.PostgresError | null> | undefined;
    await other.begin(async (tx) => {
      await tx`delete from user_groups where id = ${vanishing}`;
      insert = sql`insert into group_members (tenant_id, group_id, member_id) values (${t}, ${vanishing}, ${m})`.then(
        () => null,
        (e: postgres.PostgresError) => e,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    const late = await insert!;
    expect({ code: late?.code, constraint: late?.constraint_name }).toEqual({ code: '23503', constraint: 'group_members_group_fk' });
  });
});
