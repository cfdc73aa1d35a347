import { sql } from 'drizzle-orm';
import { check, foreignKey, index, pgTable, primaryKey, text, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './columns';
import { tenants } from './identity';
import { contracts, services } from './services';

export const userGroups = pgTable(
  'user_groups',
  {
    id: id(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('user_groups_tenant_name_uq').on(t.tenantId, sql`lower(${t.name})`),
    unique('user_groups_tenant_id_uq').on(t.tenantId, t.id),
    check(
      'user_groups_name_ck',
      sql`length(${t.name}) between 1 and 64 and ${t.name} = btrim(${t.name}) and position('__' in ${t.name}) = 0`,
    ),
    check('user_groups_description_len_ck', sql`length(${t.description}) <= 1000`),
  ],
);

export const groupMembers = pgTable(
  'group_members',
  {
    /** The member's tenant: checked (and cascaded) through the composite member key, not a key of its own. */
    tenantId: uuid('tenant_id').notNull(),
    groupId: uuid('group_id').notNull(),
    memberId: uuid('member_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'group_members_pk', columns: [t.groupId, t.memberId] }),
    index('group_members_member_idx').on(t.memberId),
    // (tenant_id, group_id) references user_groups and (tenant_id, member_id) tenant_members, both
    // cascading: statement-level triggers, db/migrations/0011.
  ],
);

export const PERMISSION_LEVELS = ['view', 'edit'] as const;
export const CONTRACT_PERMISSION_LEVELS = ['none', 'view', 'edit'] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];
export type ContractPermissionLevel = (typeof CONTRACT_PERMISSION_LEVELS)[number];

/** A group's level on every contract of a service (absent row = none). */
export const groupServicePermissions = pgTable(
  'group_service_permissions',
  {
    groupId: uuid('group_id')
      .notNull()
      .references(() => userGroups.id, { onDelete: 'cascade' }),
    serviceId: uuid('service_id')
      .notNull()
      .references(() => services.id, { onDelete: 'restrict' }),
    level: text('level', { enum: PERMISSION_LEVELS }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ name: 'group_service_permissions_pk', columns: [t.groupId, t.serviceId] }),
    check('group_service_permissions_level_ck', sql`${t.level} in ('view', 'edit')`),
  ],
);

/** A per-contract override of the group's service-wide level (`none` included). */
export const groupContractPermissions = pgTable(
  'group_contract_permissions',
  {
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    groupId: uuid('group_id').notNull(),
    contractId: uuid('contract_id').notNull(),
    level: text('level', { enum: CONTRACT_PERMISSION_LEVELS }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ name: 'group_contract_permissions_pk', columns: [t.groupId, t.contractId] }),
    index('group_contract_permissions_contract_idx').on(t.contractId),
    foreignKey({
      name: 'group_contract_permissions_group_fk',
      columns: [t.tenantId, t.groupId],
      foreignColumns: [userGroups.tenantId, userGroups.id],
    }).onDelete('cascade'),
    // The contract must be the group's tenant's own.
    foreignKey({
      name: 'group_contract_permissions_contract_fk',
      columns: [t.tenantId, t.contractId],
      foreignColumns: [contracts.tenantId, contracts.id],
    }).onDelete('cascade'),
    check('group_contract_permissions_level_ck', sql`${t.level} in ('none', 'view', 'edit')`),
  ],
);
