import type { Writable } from 'node:stream';
import { and, asc, count, eq, inArray, isNotNull, isNull, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { groupMembers, organizations, orgMemberships, serviceAccess, services, tenantMembers, userGroups, users, type MemberStatus } from '@/db/schema';
import type { Actor } from '@/lib/actor';
import { adminScope, authorize, decideInScope, memberInScope, orgInScope, type AdminScope } from '@/lib/authz';
import { NotFoundError } from '@/lib/errors';
import type { Locale } from '@/lib/i18n/config';
import { LIST_SEPARATOR } from './columns';
import { MAX_LISTED_GROUPS, prefetch, writeTemplateWorkbook, yesNo, type TemplateRow } from './template';

/*
 * "Download current data" (SPEC 3.5): the template workbook filled with the tenant's orgs and
 * users, ready to edit and upload back. For an org admin, only their subtree: its orgs and the
 * memberships inside it (a member's other memberships stay out, as on the member screens).
 *
 * - Organizations: every org but the root (it cannot be imported), parents first: depth-first by
 *   path, each org followed by its subtree, siblings by name (case-insensitive).
 * - Users: one row per org membership, by email, then org path. Administrator is that
 *   membership's flag; Active is N only for a deactivated member (an invited member is not
 *   deactivated: Y, and stays invited on upload); Services and Groups are the member's whole sets
 *   joined with `;` (an empty set is an empty cell, never `-`); Language is empty when unset.
 * - Read in keyset batches: members `batchSize` at a time (their memberships, services and groups
 *   by three queries on the batch's ids), orgs likewise; the workbook writer streams each batch out
 *   before the next is read.
 */

export interface ExportOptions {
  /** Members (and orgs) read per query. */
  batchSize?: number;
  /** The "as of" time zone in the instructions. */
  timeZone?: string;
  now?: Date;
}

/** Sort key of an org path: depth-first (the separator sorts before any character), case-insensitive, byte order. */
const orgSortKey = sql<string>`replace(lower(${organizations.namePath}), '__', chr(1)) collate "C"`;

async function* orgBatches(db: Db, tenantId: string, scope: AdminScope, batchSize: number): AsyncGenerator<TemplateRow[]> {
  let after: { key: string; id: string } | null = null;
  for (;;) {
    const rows: { id: string; key: string; name: string; parentPath: string; description: string; emailNotifications: boolean }[] = await db
      .select({
        id: organizations.id,
        key: orgSortKey,
        name: organizations.name,
        // name_path = parent's path + '__' + name.
        parentPath: sql<string>`left(${organizations.namePath}, length(${organizations.namePath}) - length(${organizations.name}) - 2)`,
        description: organizations.description,
        emailNotifications: organizations.emailNotifications,
      })
      .from(organizations)
      .where(
        and(
          eq(organizations.tenantId, tenantId),
          isNotNull(organizations.parentId),
          orgInScope(scope),
          after ? sql`(${orgSortKey}, ${organizations.id}) > (${after.key} collate "C", ${after.id}::uuid)` : undefined,
        ),
      )
      .orderBy(orgSortKey, asc(organizations.id))
      .limit(batchSize);
    if (rows.length === 0) return;
    yield rows.map((o) => ({
      values: { name: o.name, parent: o.parentPath, description: o.description, emailNotifications: yesNo(o.emailNotifications) },
    }));
    if (rows.length < batchSize) return;
    const last = rows[rows.length - 1]!;
    after = { key: last.key, id: last.id };
  }
}

interface MemberRow {
  id: string;
  emailKey: string;
  email: string;
  firstName: string;
  lastName: string;
  locale: Locale | null;
  status: MemberStatus;
}

async function* userBatches(db: Db, tenantId: string, scope: AdminScope, batchSize: number): AsyncGenerator<TemplateRow[]> {
  const emailKey = sql<string>`lower(${users.email})`;
  // Emails are unique case-insensitively (users_email_lower_uq), so lower(email) alone is the key.
  // That index is text_pattern_ops (byte order): `~>~` and ORDER BY … USING ~<~ let it start each
  // batch where the last one ended (a plain `>` or ORDER BY would sort the whole tenant).
  let after: string | null = null;
  for (;;) {
    const members: MemberRow[] = await db
      .select({
        id: tenantMembers.id,
        emailKey,
        email: users.email,
        firstName: users.firstName,
        lastName: users.lastName,
        locale: users.locale,
        status: tenantMembers.status,
      })
      .from(tenantMembers)
      .innerJoin(users, eq(users.id, tenantMembers.userId))
      .where(
        and(
          eq(tenantMembers.tenantId, tenantId),
          memberInScope(scope),
          after === null ? undefined : sql`${emailKey} ~>~ ${after}`,
        ),
      )
      .orderBy(sql`${emailKey} using ~<~`)
      .limit(batchSize);
    if (members.length === 0) return;
    const ids = members.map((m) => m.id);
    const [memberships, serviceKeys, groupNames] = await Promise.all([
      db
        .select({ memberId: orgMemberships.memberId, path: organizations.namePath, isAdmin: orgMemberships.isAdmin })
        .from(orgMemberships)
        .innerJoin(organizations, eq(organizations.id, orgMemberships.orgId))
        .where(and(inArray(orgMemberships.memberId, ids), orgInScope(scope)))
        .orderBy(orgSortKey),
      db
        .select({
          memberId: serviceAccess.memberId,
          keys: sql<string>`string_agg(${services.key}, ${LIST_SEPARATOR} order by ${services.key})`,
        })
        .from(serviceAccess)
        .innerJoin(services, eq(services.id, serviceAccess.serviceId))
        .where(inArray(serviceAccess.memberId, ids))
        .groupBy(serviceAccess.memberId),
      db
        .select({
          memberId: groupMembers.memberId,
          names: sql<string>`string_agg(${userGroups.name}, ${LIST_SEPARATOR} order by lower(${userGroups.name}), ${userGroups.name})`,
        })
        .from(groupMembers)
        .innerJoin(userGroups, eq(userGroups.id, groupMembers.groupId))
        .where(inArray(groupMembers.memberId, ids))
        .groupBy(groupMembers.memberId),
    ]);
    const byMember = new Map<string, { path: string; isAdmin: boolean }[]>();
    for (const m of memberships) byMember.set(m.memberId, [...(byMember.get(m.memberId) ?? []), m]);
    const servicesOf = new Map(serviceKeys.map((s) => [s.memberId, s.keys]));
    const groupsOf = new Map(groupNames.map((g) => [g.memberId, g.names]));

    yield members.flatMap((m) =>
      (byMember.get(m.id) ?? []).map((ms) => ({
        values: {
          email: m.email,
          firstName: m.firstName,
          lastName: m.lastName,
          org: ms.path,
          admin: yesNo(ms.isAdmin),
          active: yesNo(m.status !== 'deactivated'),
          services: servicesOf.get(m.id) ?? '',
          groups: groupsOf.get(m.id) ?? '',
          language: m.locale ?? '',
        },
      })),
    );
    if (members.length < batchSize) return;
    after = members[members.length - 1]!.emailKey;
  }
}

/** What a download needs once authorized: the tenant, the actor's scope and the instructions' lists. */
export interface ExportContext {
  tenant: { id: string; slug: string; name: string };
  scope: AdminScope;
  rootName: string;
  services: { key: string; name: string; nameJa: string | null }[];
  /** Group names (the first MAX_LISTED_GROUPS) for who may manage groups; null for org admins (groups are tenant-wide metadata, SPEC §2). */
  groups: string[] | null;
  groupCount: number;
}

/** What every template form shows of a tenant: its top organization's name (path examples) and the service catalog, by key. */
export async function loadTemplateBasics(db: Db, tenantId: string): Promise<{ rootName: string | null; services: ExportContext['services'] }> {
  const [[root], catalog] = await Promise.all([
    db
      .select({ name: organizations.name })
      .from(organizations)
      .where(and(eq(organizations.tenantId, tenantId), isNull(organizations.parentId)))
      .limit(1),
    db.select({ key: services.key, name: services.name, nameJa: services.nameJa }).from(services).orderBy(asc(services.key)),
  ]);
  return { rootName: root?.name ?? null, services: catalog };
}

/**
 * Authorizes `import.create` on the actor's tenant (tenant admins; org admins for their subtree)
 * and loads what the template and the export show. Throws NotFoundError/ForbiddenError, so a
 * route can answer 404 before it starts streaming.
 */
export async function prepareImportDownload(db: Db, actor: Actor): Promise<ExportContext> {
  if (!actor.tenant) throw new NotFoundError('tenant');
  const { tenant } = await authorize(db, actor, 'import.create', { type: 'tenant', id: actor.tenant.id });
  const scope = await adminScope(db, actor);
  const listsGroups = decideInScope(actor, scope, 'groups.manage', { type: 'tenant', tenantId: tenant.id }) === 'allow';
  const [basics, groups, [groupTotal]] = await Promise.all([
    loadTemplateBasics(db, tenant.id),
    listsGroups
      ? db
          .select({ name: userGroups.name })
          .from(userGroups)
          .where(eq(userGroups.tenantId, tenant.id))
          .orderBy(sql`lower(${userGroups.name})`, asc(userGroups.name))
          .limit(MAX_LISTED_GROUPS)
      : Promise.resolve(null),
    listsGroups ? db.select({ n: count() }).from(userGroups).where(eq(userGroups.tenantId, tenant.id)) : Promise.resolve([{ n: 0 }]),
  ]);
  return {
    tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name },
    scope,
    rootName: basics.rootName ?? tenant.name,
    services: basics.services,
    groups: groups?.map((g) => g.name) ?? null,
    groupCount: groupTotal?.n ?? 0,
  };
}

/** The empty template, with the tenant's top organization in its examples and its services (and, for tenant admins, groups) listed. */
export async function writeTemplateFor(context: ExportContext, output: Writable, locale: Locale): Promise<void> {
  await writeTemplateWorkbook(output, {
    locale,
    data: {
      kind: 'template',
      tenantName: context.tenant.name,
      rootName: context.rootName,
      services: context.services,
      groups: context.groups ?? undefined,
      groupCount: context.groupCount,
    },
  });
}

/** The current data workbook of a prepared download (see `prepareImportDownload`), ended when done. */
export async function writeCurrentData(db: Db, context: ExportContext, output: Writable, locale: Locale, options: ExportOptions = {}): Promise<void> {
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? 1000));
  const { tenant, scope } = context;
  await writeTemplateWorkbook(output, {
    locale,
    data: {
      kind: 'export',
      tenantName: tenant.name,
      rootName: context.rootName,
      services: context.services,
      groups: context.groups ?? undefined,
      groupCount: context.groupCount,
      scoped: scope.kind !== 'tenant',
      generatedAt: options.now,
      timeZone: options.timeZone,
      rows: {
        organization: prefetch(orgBatches(db, tenant.id, scope, batchSize)),
        user: prefetch(userBatches(db, tenant.id, scope, batchSize)),
      },
    },
  });
}
