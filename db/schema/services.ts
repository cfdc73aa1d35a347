import { sql } from 'drizzle-orm';
import { check, date, index, pgTable, primaryKey, text, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './columns';
import { tenants } from './identity';

/** The platform-wide catalog of what is sold (e.g. `cloud` — Enterprise Cloud 2.0). */
export const services = pgTable(
  'services',
  {
    id: id(),
    key: text('key').notNull(),
    name: text('name').notNull(),
    nameJa: text('name_ja'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('services_key_uq').on(t.key),
    check('services_key_ck', sql`${t.key} ~ '^[a-z][a-z0-9_-]{0,39}$'`),
  ],
);

/** A tenant's contract for one service; a tenant may hold several per service. */
export const contracts = pgTable(
  'contracts',
  {
    id: id(),
    tenantId: uuid('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    serviceId: uuid('service_id')
      .notNull()
      .references(() => services.id, { onDelete: 'restrict' }),
    code: text('code').notNull(),
    name: text('name').notNull(),
    startsOn: date('starts_on'),
    endsOn: date('ends_on'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('contracts_tenant_code_uq').on(t.tenantId, sql`lower(${t.code})`),
    unique('contracts_tenant_id_uq').on(t.tenantId, t.id),
    index('contracts_tenant_service_idx').on(t.tenantId, t.serviceId),
    check('contracts_dates_ck', sql`${t.endsOn} is null or ${t.startsOn} is null or ${t.endsOn} >= ${t.startsOn}`),
    check('contracts_code_ck', sql`length(${t.code}) between 1 and 64`),
  ],
);

/** "May use this service at all": a row means on. */
export const serviceAccess = pgTable(
  'service_access',
  {
    /** The member's tenant: checked (and cascaded) through the composite member key, not a key of its own. */
    tenantId: uuid('tenant_id').notNull(),
    memberId: uuid('member_id').notNull(),
    /** References services (restrict) through statement-level triggers: db/migrations/0011. */
    serviceId: uuid('service_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ name: 'service_access_pk', columns: [t.memberId, t.serviceId] }),
    index('service_access_tenant_service_idx').on(t.tenantId, t.serviceId),
    // (tenant_id, member_id) references tenant_members (cascade): statement-level triggers, db/migrations/0011.
  ],
);
