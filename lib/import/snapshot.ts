import { createHash } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import type { Locale, MemberStatus } from '@/db/schema';

/*
 * What the import planner knows about a tenant (SPEC 3.5 "Preview first"): its orgs, members with
 * their memberships, service access and groups, its groups and the service catalog, read in a few
 * set-based statements from one REPEATABLE READ snapshot (the large ones through cursors, a piece
 * at a time), so the plan is made against one consistent state. Held compactly: memberships,
 * services and groups are references to shared objects and strings (one org object per org, one
 * key string per service), so 100,000 members take ≈63 MB (see the figures in lib/import/plan.ts).
 *
 * Org paths and group names are lowercased by PostgreSQL's lower(), as the product compares them
 * (lib/orgs findOrganizationByPath, user_groups' lower(name) index); emails with String#toLowerCase
 * as lib/users lowercases the address it looks up (identical for the ASCII of email addresses, and
 * cheaper for 100,000 rows). Inputs are lowercased with String#toLowerCase.
 */

export interface SnapshotOrg {
  id: string;
  parentId: string | null;
  name: string;
  namePath: string;
  idPath: string;
  depth: number;
  description: string;
  emailNotifications: boolean;
  /** lower(namePath): the key spreadsheets use. */
  key: string;
  /** lower(name). */
  lowerName: string;
}

export interface SnapshotGroup {
  id: string;
  name: string;
}

export interface SnapshotService {
  id: string;
  key: string;
}

export interface SnapshotMembership {
  org: SnapshotOrg;
  isAdmin: boolean;
}

export interface SnapshotMember {
  memberId: string;
  userId: string;
  /** As stored. */
  email: string;
  status: MemberStatus;
  isTenantAdmin: boolean;
  /** Has set a password (a never-registered member reactivated stays invited). */
  registered: boolean;
  firstName: string;
  lastName: string;
  locale: Locale | null;
  /** Also a member of another tenant: names and language are the user's, not this tenant's (lib/users). */
  sharedProfile: boolean;
  memberships: SnapshotMembership[];
  /** Service keys with access, sorted. */
  services: string[];
  /** Group memberships. */
  groups: SnapshotGroup[];
}

export interface TenantSnapshot {
  tenantId: string;
  root: SnapshotOrg;
  /** Parents before children (by depth). */
  orgs: SnapshotOrg[];
  orgsById: Map<string, SnapshotOrg>;
  /** By lower(namePath). */
  orgsByPath: Map<string, SnapshotOrg>;
  /** By lower(email). */
  members: Map<string, SnapshotMember>;
  /** By lower(name). */
  groupsByName: Map<string, SnapshotGroup>;
  /** The platform catalog, by key (keys are lowercase by constraint). */
  servicesByKey: Map<string, SnapshotService>;
  /** Active tenant administrators (the last one cannot be deactivated or removed). */
  activeTenantAdmins: number;
}

/** A user (global identity) that is not a member of the tenant yet, as an import would add them. */
export interface ExternalUser {
  userId: string;
  email: string;
  registered: boolean;
  /** Member of some tenant: the names and language are theirs (an unused identity takes the file's). */
  inOtherTenant: boolean;
  firstName: string;
  lastName: string;
  locale: Locale | null;
}

type OrgDbRow = {
  id: string;
  parent_id: string | null;
  name: string;
  name_path: string;
  id_path: string;
  depth: number;
  description: string;
  email_notifications: boolean;
  key: string;
  lower_name: string;
};
type MemberDbRow = {
  id: string;
  user_id: string;
  email: string;
  status: MemberStatus;
  is_tenant_admin: boolean;
  registered: boolean;
  first_name: string;
  last_name: string;
  locale: Locale | null;
  shared: boolean;
};
type PairRow = { m: string; x: string };
type MembershipDbRow = { m: string; o: string; a: boolean };

/** Reuses `a` when `b` is the same text, so lowercase emails and names are stored once. */
const same = (a: string, b: string) => (a === b ? a : b);

/**
 * Rows fetched at a time. postgres.js hands a statement's result over as one array of row objects,
 * built before they are turned into the snapshot (≈ 2 KB of short-lived objects a member with its
 * memberships, services and groups: ≈ 400 MB for 200,000 members, 4 times the snapshot). The
 * statements are therefore read through cursors, this many rows per FETCH: the load's transient
 * stays a few MB, and the snapshot's own size is its peak. Measured, 200,000 members (116 MB of
 * snapshot): 3.3–3.6 s (2.9–3.3 s in one piece each); under a 256 MB heap cap 5.5 s, where the
 * load in one piece runs out of memory.
 */
export const SNAPSHOT_FETCH_ROWS = 10_000;

/**
 * Loads everything the planner needs about a tenant: 7 set-based reads in one read-only REPEATABLE
 * READ transaction (one consistent view; inside a caller's transaction it is a savepoint), the 4
 * that grow with the members read through cursors (SNAPSHOT_FETCH_ROWS). It reads the whole tenant
 * for no one in particular: call it after `authorize(…, 'import.create', tenant)`; `planImport` then
 * judges each row by the actor's scope, and only the plan is shown.
 */
export async function loadTenantSnapshot(db: Db, tenantId: string, options: { fetchRows?: number } = {}): Promise<TenantSnapshot> {
  const fetchRows = options.fetchRows ?? SNAPSHOT_FETCH_ROWS;
  return db.transaction(
    async (tx) => {
      // Whole-tenant scans: JIT compilation costs more than it saves (≈0.2 s at 100,000 members), and
      // the members' hash join fits in memory with a little more work_mem. The cursors are read to
      // the end: planned for all their rows (a hash join), not for the first tenth (the default
      // cursor_tuple_fraction, which picks nested loops). Local to this transaction.
      await tx.execute(sql`select set_config('jit', 'off', true), set_config('work_mem', '32MB', true), set_config('cursor_tuple_fraction', '1', true)`);
      /** Every row of a cursor's statement, `fetchRows` at a time; the cursor is closed after. */
      const eachRow = async <T>(name: string, query: SQL, take: (row: T) => void) => {
        await tx.execute(sql`declare ${sql.identifier(name)} no scroll cursor for ${query}`);
        const fetch = async (): Promise<readonly T[]> =>
          (await tx.execute(sql`fetch forward ${sql.raw(String(Math.trunc(fetchRows)))} from ${sql.identifier(name)}`)) as unknown as T[];
        // One FETCH ahead: PostgreSQL reads the next piece while this one is taken in.
        for (let next: Promise<readonly T[]> | null = fetch(); next; ) {
          const rows: readonly T[] = await next;
          next = rows.length < fetchRows ? null : fetch();
          for (const row of rows) take(row);
        }
        await tx.execute(sql`close ${sql.identifier(name)}`);
      };
      const orgRows = await tx.execute<OrgDbRow>(sql`
        select id, parent_id, name, name_path, id_path, depth, description, email_notifications,
               lower(name_path) as key, lower(name) as lower_name
        from organizations where tenant_id = ${tenantId} order by depth, id`);
      const serviceRows = await tx.execute<{ id: string; key: string }>(sql`select id, key from services order by key`);
      const groupRows = await tx.execute<{ id: string; name: string; key: string }>(sql`select id, name, lower(name) as key from user_groups where tenant_id = ${tenantId}`);

      const orgs: SnapshotOrg[] = [];
      const orgsById = new Map<string, SnapshotOrg>();
      const orgsByPath = new Map<string, SnapshotOrg>();
      for (const r of orgRows) {
        const org: SnapshotOrg = {
          id: r.id,
          parentId: r.parent_id,
          name: r.name,
          namePath: r.name_path,
          idPath: r.id_path,
          depth: r.depth,
          description: r.description,
          emailNotifications: r.email_notifications,
          key: same(r.name_path, r.key),
          lowerName: same(r.name, r.lower_name),
        };
        orgs.push(org);
        orgsById.set(org.id, org);
        orgsByPath.set(org.key, org);
      }
      const root = orgs.find((o) => o.parentId === null);
      if (!root) throw new Error(`import snapshot: tenant ${tenantId} has no root organization`);

      const servicesById = new Map<string, SnapshotService>();
      const servicesByKey = new Map<string, SnapshotService>();
      for (const s of serviceRows) {
        const service = { id: s.id, key: s.key };
        servicesById.set(s.id, service);
        servicesByKey.set(s.key.toLowerCase(), service);
      }
      const groupsById = new Map<string, SnapshotGroup>();
      const groupsByName = new Map<string, SnapshotGroup>();
      for (const g of groupRows) {
        const group = { id: g.id, name: g.name };
        groupsById.set(g.id, group);
        groupsByName.set(g.key, group);
      }

      const members = new Map<string, SnapshotMember>();
      const byId = new Map<string, SnapshotMember>();
      let activeTenantAdmins = 0;
      await eachRow<MemberDbRow>(
        'tenantry_snapshot_members',
        sql`
          select m.id, m.user_id, u.email, m.status, m.is_tenant_admin, u.password_hash is not null as registered,
                 u.first_name, u.last_name, u.locale,
                 exists (select 1 from tenant_members o where o.user_id = m.user_id and o.tenant_id <> m.tenant_id) as shared
          from tenant_members m join users u on u.id = m.user_id
          where m.tenant_id = ${tenantId}`,
        (r) => {
          const status = STATUSES[r.status];
          const member: SnapshotMember = {
            memberId: r.id,
            userId: r.user_id,
            email: r.email,
            status,
            isTenantAdmin: r.is_tenant_admin,
            registered: r.registered,
            firstName: r.first_name,
            lastName: r.last_name,
            locale: r.locale === null ? null : LOCALES[r.locale],
            sharedProfile: r.shared,
            memberships: NONE,
            services: NONE,
            groups: NONE,
          };
          // Lowercased as the product lowercases what it looks up (lib/users lowerEmail).
          members.set(same(r.email, r.email.toLowerCase()), member);
          byId.set(r.id, member);
          if (r.is_tenant_admin && status === 'active') activeTenantAdmins++;
        },
      );
      // Each member's rows come together (ordered by member): a list is built in `items` and stored
      // at its exact length (an array grown by push() reserves 17 slots, which would triple the size
      // of 100,000 one-item lists).
      const eachMemberList = async <T extends { m: string }, I>(name: string, query: SQL, item: (row: T) => I | undefined, store: (member: SnapshotMember, items: I[]) => void) => {
        let member: SnapshotMember | undefined;
        const items: I[] = [];
        const flush = () => {
          if (member && items.length > 0) store(member, items.slice());
          items.length = 0;
        };
        await eachRow<T>(name, query, (row) => {
          const owner = byId.get(row.m);
          if (owner !== member) {
            flush();
            member = owner;
          }
          const value = item(row);
          if (member && value !== undefined) items.push(value);
        });
        flush();
      };
      await eachMemberList<MembershipDbRow, SnapshotMembership>(
        'tenantry_snapshot_memberships',
        sql`select member_id as m, org_id as o, is_admin as a from org_memberships where tenant_id = ${tenantId} order by member_id`,
        (r) => {
          const org = orgsById.get(r.o);
          return org && { org, isAdmin: r.a };
        },
        (member, list) => (member.memberships = list),
      );
      await eachMemberList<PairRow, string>(
        'tenantry_snapshot_services',
        sql`select member_id as m, service_id as x from service_access where tenant_id = ${tenantId} order by member_id`,
        (r) => servicesById.get(r.x)?.key,
        (member, list) => (member.services = list.sort()),
      );
      await eachMemberList<PairRow, SnapshotGroup>(
        'tenantry_snapshot_groups',
        sql`select member_id as m, group_id as x from group_members where tenant_id = ${tenantId} order by member_id`,
        (r) => groupsById.get(r.x),
        (member, list) => (member.groups = list),
      );

      return { tenantId, root, orgs, orgsById, orgsByPath, members, groupsByName, servicesByKey, activeTenantAdmins };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/** One shared empty list for members without memberships, services or groups (never mutated). */
const NONE: never[] = Object.freeze([]) as unknown as never[];
/** One string per status and locale instead of one per row. */
const STATUSES: Record<MemberStatus, MemberStatus> = { invited: 'invited', active: 'active', deactivated: 'deactivated' };
const LOCALES: Record<Locale, Locale> = { en: 'en', ja: 'ja' };

/**
 * The users (global identities) with these emails who are NOT members of the tenant yet, by
 * lower(email): an import adding them makes a registered user an active member at once and keeps
 * the names of an identity someone else already uses (as lib/users addUser does). One statement.
 */
export async function loadExternalUsers(db: Db, tenantId: string, emails: Iterable<string>): Promise<Map<string, ExternalUser>> {
  const wanted = [...new Set([...emails].map((e) => e.trim().toLowerCase()).filter((e) => e.includes('@')))];
  const out = new Map<string, ExternalUser>();
  if (wanted.length === 0) return out;
  const rows = await db.execute<{
    id: string;
    email: string;
    lower_email: string;
    registered: boolean;
    in_other: boolean;
    first_name: string;
    last_name: string;
    locale: Locale | null;
  }>(sql`
    select u.id, u.email, lower(u.email) as lower_email, u.password_hash is not null as registered,
           exists (select 1 from tenant_members o where o.user_id = u.id) as in_other,
           u.first_name, u.last_name, u.locale
    from unnest(${toPgTextArray(wanted)}::text[]) as w(email)
    join users u on lower(u.email) = w.email
    where not exists (select 1 from tenant_members m where m.user_id = u.id and m.tenant_id = ${tenantId})`);
  for (const r of rows) {
    out.set(same(r.email, r.lower_email), {
      userId: r.id,
      email: r.email,
      registered: r.registered,
      inOtherTenant: r.in_other,
      firstName: r.first_name,
      lastName: r.last_name,
      locale: r.locale,
    });
  }
  return out;
}

/** A PostgreSQL text[] literal (one parameter, whatever the number of items). */
function toPgTextArray(items: readonly string[]): string {
  return `{${items.map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/**
 * A digest of everything a plan depends on: the snapshot (orgs, members with their memberships,
 * services, groups and statuses, groups, services) and who plans (their id and scope). Equal
 * digests mean planning the same file again would give the same plan, so an apply can use the
 * stored one (lib/import/run). Order-independent: maps are walked in sorted key order.
 */
export function planDigest(snapshot: TenantSnapshot, actorUserId: string, scope: unknown): string {
  const hash = createHash('sha256');
  const put = (...parts: (string | number | boolean | null)[]) => hash.update(`${parts.join('\u001f')}\u001e`);
  put('v1', snapshot.tenantId, actorUserId, JSON.stringify(scope), snapshot.activeTenantAdmins);
  for (const org of [...snapshot.orgs].sort((a, b) => cmp(a.id, b.id))) {
    put('o', org.id, org.parentId, org.name, org.namePath, org.idPath, org.description, org.emailNotifications);
  }
  for (const key of [...snapshot.groupsByName.keys()].sort(cmp)) put('g', key, snapshot.groupsByName.get(key)!.id, snapshot.groupsByName.get(key)!.name);
  for (const key of [...snapshot.servicesByKey.keys()].sort(cmp)) put('s', key, snapshot.servicesByKey.get(key)!.id);
  for (const key of [...snapshot.members.keys()].sort(cmp)) {
    const m = snapshot.members.get(key)!;
    put('m', key, m.memberId, m.userId, m.email, m.status, m.isTenantAdmin, m.registered, m.firstName, m.lastName, m.locale, m.sharedProfile);
    put('mo', ...m.memberships.map((x) => `${x.org.id}:${x.isAdmin}`).sort(cmp));
    put('ms', ...[...m.services].sort(cmp));
    put('mg', ...m.groups.map((g) => g.id).sort(cmp));
  }
  return hash.digest('hex');
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
