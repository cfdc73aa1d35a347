import { eq, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import {
  contracts,
  imports,
  orgMemberships,
  services,
  tenantMembers,
  tenants,
  userGroups,
  users,
  type ImportOperation,
  type ImportStatus,
  type Locale,
  type MemberStatus,
} from '@/db/schema';
import { loadActor, type Actor } from '@/lib/actor';
import { createRootOrganization, insertChildOrganization } from '@/lib/orgs';

/**
 * Test fixtures: rows inserted directly with drizzle (no domain rules, no audit), so a test can
 * build exactly the tenant it needs in a few lines. Orgs are addressed by name path ('CA__India').
 */

/** Stored in place of an argon2 hash: `loadActor` only needs it to be non-null. */
export const FIXTURE_PASSWORD_HASH = 'fixture:not-a-real-hash';

export interface OrgFixture {
  id: string;
  name: string;
  namePath: string;
  idPath: string;
  depth: number;
  parentId: string | null;
}

export interface TenantFixture {
  id: string;
  slug: string;
  name: string;
  root: OrgFixture;
  /** Every org of the tenant created through the fixtures, by name path. */
  orgs: Map<string, OrgFixture>;
  /** The org at `path`; throws on an unknown path so typos fail loudly. */
  org(path: string): OrgFixture;
}

export interface MemberFixture {
  userId: string;
  memberId: string;
  email: string;
  /** Org membership ids by org name path. */
  memberships: Map<string, string>;
  /** The membership id in the org at `path`; throws when there is none. */
  membership(path: string): string;
}

function mustGet<V>(map: Map<string, V>, key: string, what: string): V {
  const value = map.get(key);
  if (value === undefined) throw new Error(`fixture: no ${what} '${key}' (known: ${[...map.keys()].join(', ')})`);
  return value;
}

/** Creates a tenant, its root org and every org in `orgPaths` (missing ancestors included). */
export async function createTenantFixture(
  db: Db,
  options: { slug: string; name?: string; orgPaths?: string[] },
): Promise<TenantFixture> {
  const orgPaths = options.orgPaths ?? [];
  const name = options.name ?? orgPaths[0]?.split('__')[0] ?? options.slug.toUpperCase();
  const [tenant] = await db.insert(tenants).values({ slug: options.slug, name }).returning();
  if (!tenant) throw new Error('fixture: tenant insert returned nothing');

  const root: OrgFixture = await createRootOrganization(db, tenant.id, name);

  const orgs = new Map<string, OrgFixture>([[name, root]]);
  const fixture: TenantFixture = {
    id: tenant.id,
    slug: tenant.slug,
    name,
    root,
    orgs,
    org: (path) => mustGet(orgs, path, 'org'),
  };
  await addOrgs(db, fixture, orgPaths);
  return fixture;
}

/** Adds orgs by name path ('CA__India__HR'), creating missing ancestors; returns them in the given order. */
export async function addOrgs(db: Db, tenant: TenantFixture, paths: string[]): Promise<OrgFixture[]> {
  const result: OrgFixture[] = [];
  for (const path of paths) {
    const names = path.split('__');
    if (names[0] !== tenant.root.name) throw new Error(`fixture: '${path}' does not start at root '${tenant.root.name}'`);
    let parent = tenant.root;
    for (let depth = 1; depth < names.length; depth++) {
      const namePath = names.slice(0, depth + 1).join('__');
      let org = tenant.orgs.get(namePath);
      if (!org) {
        // lib/orgs derives idPath, namePath and depth, exactly as the product does.
        org = await insertChildOrganization(db, { ...parent, tenantId: tenant.id }, { name: names[depth] ?? '' });
        tenant.orgs.set(namePath, org);
      }
      parent = org;
    }
    result.push(parent);
  }
  return result;
}

/** A platform operator (registered, not a member of any tenant); returns the user id. */
export async function createOperator(db: Db, options: { email: string }): Promise<string> {
  const [user] = await db
    .insert(users)
    .values({ email: options.email, isPlatformOperator: true, passwordHash: FIXTURE_PASSWORD_HASH })
    .returning({ id: users.id });
  if (!user) throw new Error('fixture: operator insert returned nothing');
  return user.id;
}

export interface AddMemberOptions {
  email: string;
  firstName?: string;
  lastName?: string;
  locale?: Locale;
  /** Org memberships by name path; `isAdmin` makes the member administrator of that subtree. */
  orgs?: { path: string; isAdmin?: boolean }[];
  isTenantAdmin?: boolean;
  /** Default `active`. An `invited` new user gets no password hash (has not registered). */
  status?: MemberStatus;
  isPlatformOperator?: boolean;
  /** A real argon2id hash when the test signs in through the product (default: a placeholder). */
  passwordHash?: string;
}

/**
 * Adds a member to the tenant with its org memberships. The user is reused when the email
 * already exists (one identity in several tenants), otherwise created.
 */
export async function addMember(db: Db, tenant: TenantFixture, options: AddMemberOptions): Promise<MemberFixture> {
  const status = options.status ?? 'active';
  const [existing] = await db
    .select({ id: users.id })
    .from(users)
    .where(eq(sql`lower(${users.email})`, options.email.toLowerCase()))
    .limit(1);
  let userId = existing?.id;
  if (!userId) {
    const [user] = await db
      .insert(users)
      .values({
        email: options.email,
        firstName: options.firstName ?? '',
        lastName: options.lastName ?? '',
        locale: options.locale ?? null,
        isPlatformOperator: options.isPlatformOperator ?? false,
        passwordHash: status === 'invited' ? null : (options.passwordHash ?? FIXTURE_PASSWORD_HASH),
      })
      .returning({ id: users.id });
    if (!user) throw new Error('fixture: user insert returned nothing');
    userId = user.id;
  }

  const [member] = await db
    .insert(tenantMembers)
    .values({ tenantId: tenant.id, userId, status, isTenantAdmin: options.isTenantAdmin ?? false })
    .returning({ id: tenantMembers.id });
  if (!member) throw new Error('fixture: member insert returned nothing');

  const memberships = new Map<string, string>();
  for (const { path, isAdmin } of options.orgs ?? []) {
    const [row] = await db
      .insert(orgMemberships)
      .values({ tenantId: tenant.id, orgId: tenant.org(path).id, memberId: member.id, isAdmin: isAdmin ?? false })
      .returning({ id: orgMemberships.id });
    if (!row) throw new Error('fixture: membership insert returned nothing');
    memberships.set(path, row.id);
  }
  return {
    userId,
    memberId: member.id,
    email: options.email,
    memberships,
    membership: (path) => mustGet(memberships, path, 'membership in org'),
  };
}

/** Resolves the Actor as a request would (`loadActor`); throws when the user may not act there. */
export async function actorFor(db: Db, userId: string, tenant?: TenantFixture): Promise<Actor> {
  const actor = await loadActor(db, userId, { tenantSlug: tenant?.slug });
  if (!actor) throw new Error(`fixture: user ${userId} cannot act${tenant ? ` in '${tenant.slug}'` : ''}`);
  return actor;
}

/** A user group of the tenant; returns its id. */
export async function addGroup(db: Db, tenant: TenantFixture, options: { name: string; description?: string }): Promise<string> {
  const [row] = await db
    .insert(userGroups)
    .values({ tenantId: tenant.id, name: options.name, description: options.description ?? '' })
    .returning({ id: userGroups.id });
  if (!row) throw new Error('fixture: group insert returned nothing');
  return row.id;
}

/** A catalog service; returns its id. */
export async function addService(db: Db, options: { key: string; name?: string }): Promise<string> {
  const [row] = await db
    .insert(services)
    .values({ key: options.key, name: options.name ?? options.key })
    .returning({ id: services.id });
  if (!row) throw new Error('fixture: service insert returned nothing');
  return row.id;
}

/** A tenant's contract for a service; returns its id. */
export async function addContract(
  db: Db,
  tenant: TenantFixture,
  options: { serviceId: string; code: string; name?: string },
): Promise<string> {
  const [row] = await db
    .insert(contracts)
    .values({ tenantId: tenant.id, serviceId: options.serviceId, code: options.code, name: options.name ?? options.code })
    .returning({ id: contracts.id });
  if (!row) throw new Error('fixture: contract insert returned nothing');
  return row.id;
}

/** An import record (empty file) uploaded by a user; returns its id. */
export async function addImport(
  db: Db,
  tenant: TenantFixture,
  options: { uploadedByUserId: string | null; operation?: ImportOperation; status?: ImportStatus; fileName?: string },
): Promise<string> {
  const [row] = await db
    .insert(imports)
    .values({
      tenantId: tenant.id,
      uploadedByUserId: options.uploadedByUserId,
      operation: options.operation ?? 'upsert',
      status: options.status ?? 'uploaded',
      fileName: options.fileName ?? 'fixture.xlsx',
      fileSize: 0,
      fileContent: Buffer.alloc(0),
    })
    .returning({ id: imports.id });
  if (!row) throw new Error('fixture: import insert returned nothing');
  return row.id;
}
