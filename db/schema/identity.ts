import { sql } from 'drizzle-orm';
import { boolean, check, index, pgTable, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './columns';

/** A global identity: one per email address, whatever the number of tenants. */
export const users = pgTable(
  'users',
  {
    id: id(),
    email: text('email').notNull(),
    firstName: text('first_name').notNull().default(''),
    lastName: text('last_name').notNull().default(''),
    locale: text('locale', { enum: ['en', 'ja'] }),
    /** argon2id hash; null until the user registers. */
    passwordHash: text('password_hash'),
    isPlatformOperator: boolean('is_platform_operator').notNull().default(false),
    passwordChangedAt: timestamp('password_changed_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // One index per new user entry counts (an import adds 100,000 users): each of these serves several queries.
    // Unique emails, case-insensitively. text_pattern_ops (byte order) lets the same index answer
    // `lower(email) = $1` (sign-in, invitations, the import), email prefix searches (LIKE 'x%') and
    // the email sort (ORDER BY lower(email) USING ~<~: byte order, which is code point order, as C.UTF-8 sorts).
    uniqueIndex('users_email_lower_uq').on(sql`lower(${t.email}) text_pattern_ops`),
    // Member lists sorted by name (given or family name first, by locale): ORDER BY … LIMIT walks these.
    // COLLATE "C" (code point order, as C.UTF-8 sorts) lets them also answer prefix searches on either
    // name (LIKE 'x%' on the leading column) and name equality: queries must say lower(x) COLLATE "C"
    // (lib/member-list.ts). lower() itself still runs under the database's C.UTF-8 (É → é).
    index('users_first_last_idx').on(sql`lower(${t.firstName}) collate "C"`, sql`lower(${t.lastName}) collate "C"`, t.id),
    index('users_last_first_idx').on(sql`lower(${t.lastName}) collate "C"`, sql`lower(${t.firstName}) collate "C"`, t.id),
    check('users_email_shape_ck', sql`${t.email} ~ '^[^@[:space:]]+@[^@[:space:]]+$' and length(${t.email}) <= 254`),
    check('users_locale_ck', sql`${t.locale} in ('en', 'ja')`),
    check('users_names_len_ck', sql`length(${t.firstName}) <= 100 and length(${t.lastName}) <= 100`),
  ],
);

/** One customer account. Its root organization carries the tenant's name. */
export const tenants = pgTable(
  'tenants',
  {
    id: id(),
    /** URL segment: /t/SLUG/… */
    slug: text('slug').notNull(),
    name: text('name').notNull(),
    defaultLocale: text('default_locale', { enum: ['en', 'ja'] }).notNull().default('en'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('tenants_slug_uq').on(t.slug),
    check('tenants_slug_ck', sql`${t.slug} ~ '^[a-z0-9][a-z0-9-]{0,62}$'`),
    check('tenants_default_locale_ck', sql`${t.defaultLocale} in ('en', 'ja')`),
  ],
);

export const MEMBER_STATUSES = ['invited', 'active', 'deactivated'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** A user's membership of a tenant. */
export const tenantMembers = pgTable(
  'tenant_members',
  {
    id: id(),
    /** References tenants (cascade) through statement-level triggers: db/migrations/0011. */
    tenantId: uuid('tenant_id').notNull(),
    /** References users (cascade) through statement-level triggers: db/migrations/0012. */
    userId: uuid('user_id').notNull(),
    status: text('status', { enum: MEMBER_STATUSES }).notNull().default('invited'),
    isTenantAdmin: boolean('is_tenant_admin').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // One membership per (tenant, user). User first: the same index finds a user's memberships (sign-in,
    // the users → members join of the member lists, ON DELETE CASCADE from users), so no separate user_id index.
    unique('tenant_members_tenant_user_uq').on(t.userId, t.tenantId),
    // Target of composite foreign keys: a row that names a member also names its tenant.
    unique('tenant_members_tenant_id_uq').on(t.tenantId, t.id),
    index('tenant_members_tenant_status_idx').on(t.tenantId, t.status),
    // Member lists sorted by date added.
    index('tenant_members_tenant_created_idx').on(t.tenantId, t.createdAt, t.id),
    index('tenant_members_tenant_admins_idx').on(t.tenantId).where(sql`${t.isTenantAdmin}`),
    check('tenant_members_status_ck', sql`${t.status} in ('invited', 'active', 'deactivated')`),
  ],
);
