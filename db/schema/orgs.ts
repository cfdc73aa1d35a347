import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  boolean,
  check,
  foreignKey,
  index,
  integer,
  pgTable,
  text,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './columns';
import { tenants } from './identity';

/**
 * A node of a tenant's organization tree.
 * `idPath` ('/rootId/childId/…/id/') makes a subtree one indexed prefix scan at any depth;
 * `namePath` ('CA__India__HR') is the human path used on screens, in URLs and spreadsheets.
 * Both are maintained by lib/orgs on rename and move, in the same transaction.
 */
export const organizations = pgTable(
  'organizations',
  {
    id: id(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    parentId: uuid('parent_id').references((): AnyPgColumn => organizations.id),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    emailNotifications: boolean('email_notifications').notNull().default(true),
    idPath: text('id_path').notNull(),
    namePath: text('name_path').notNull(),
    depth: integer('depth').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('organizations_tenant_id_uq').on(t.tenantId, t.id),
    // Exactly one root per tenant.
    uniqueIndex('organizations_one_root_uq').on(t.tenantId).where(sql`${t.parentId} is null`),
    // Sibling names are unique, case-insensitively.
    uniqueIndex('organizations_sibling_name_uq')
      .on(t.tenantId, t.parentId, sql`lower(${t.name})`)
      .where(sql`${t.parentId} is not null`),
    uniqueIndex('organizations_name_path_uq').on(t.tenantId, sql`lower(${t.namePath})`),
    index('organizations_id_path_idx').on(t.idPath.op('text_pattern_ops')),
    index('organizations_parent_idx').on(t.parentId),
    // A child lives in its parent's tenant.
    foreignKey({
      name: 'organizations_parent_same_tenant_fk',
      columns: [t.tenantId, t.parentId],
      foreignColumns: [t.tenantId, t.id],
    }),
    check('organizations_root_depth_ck', sql`(${t.parentId} is null) = (${t.depth} = 0)`),
    check('organizations_not_own_parent_ck', sql`${t.parentId} is distinct from ${t.id}`),
    check(
      'organizations_name_ck',
      sql`length(${t.name}) between 1 and 64 and ${t.name} = btrim(${t.name}) and position('__' in ${t.name}) = 0`,
    ),
    check('organizations_description_len_ck', sql`length(${t.description}) <= 1000`),
    check('organizations_id_path_ck', sql`right(${t.idPath}, 38) = '/' || ${t.id}::text || '/'`),
  ],
);

/** A member's place in an org; `isAdmin` makes them administrator of that org's subtree. */
export const orgMemberships = pgTable(
  'org_memberships',
  {
    id: id(),
    /** The member's tenant: checked (and cascaded) through the composite member key, not a key of its own. */
    tenantId: uuid('tenant_id').notNull(),
    orgId: uuid('org_id').notNull(),
    memberId: uuid('member_id').notNull(),
    isAdmin: boolean('is_admin').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('org_memberships_org_member_uq').on(t.orgId, t.memberId),
    // (member, org): "has a membership in this subtree" (memberInScope) reads the index alone.
    index('org_memberships_member_idx').on(t.memberId, t.orgId),
    index('org_memberships_member_admin_idx').on(t.memberId).where(sql`${t.isAdmin}`),
    // (tenant_id, org_id) references organizations, and an org with members cannot be deleted (NO
    // ACTION): statement-level triggers, db/migrations/0011.
    // (tenant_id, member_id) references tenant_members: removing a member from the tenant removes
    // their org memberships (cascade). Statement-level triggers, db/migrations/0011.
  ],
);
