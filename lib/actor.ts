import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { tenantMembers, tenants, users } from '@/db/schema';
import type { Locale } from '@/db/schema';

/** Who is acting, resolved from the session's user id on every request (never cached in the cookie). */
export interface Actor {
  userId: string;
  email: string;
  firstName: string;
  lastName: string;
  locale: Locale | null;
  isPlatformOperator: boolean;
  /** The tenant the request acts in (from the URL), or null on platform pages. */
  tenant: { id: string; slug: string; name: string } | null;
  /** The actor's active membership of that tenant (null for a platform operator who is not a member). */
  memberId: string | null;
  isTenantAdmin: boolean;
}

export interface LoadActorOptions {
  /** Act within this tenant: the user must be an active member of it. */
  tenantSlug?: string;
  /** The session's issue time (seconds): a session older than the last password change is void. */
  sessionIssuedAt?: number;
}

/**
 * Resolves the actor in one query. Null when the user is gone or has not registered, when the
 * session predates a password change, or when a tenant is named and the user is not an active
 * member of it — so a deactivated member's open session stops working at the next request.
 */
export async function loadActor(db: Db, userId: string, options: LoadActorOptions = {}): Promise<Actor | null> {
  const { tenantSlug, sessionIssuedAt } = options;
  const [row] = await db
    .select({ user: users, tenant: tenants, member: tenantMembers })
    .from(users)
    // At most one tenant has the slug; no slug joins nothing.
    .leftJoin(tenants, tenantSlug === undefined ? sql`false` : eq(tenants.slug, tenantSlug))
    .leftJoin(tenantMembers, and(eq(tenantMembers.tenantId, tenants.id), eq(tenantMembers.userId, users.id)))
    .where(eq(users.id, userId))
    .limit(1);
  if (!row?.user.passwordHash) return null;
  const { user } = row;
  // A second of slack: the session of the request that changed the password was issued in the same second.
  if (sessionIssuedAt !== undefined && user.passwordChangedAt && user.passwordChangedAt.getTime() > sessionIssuedAt * 1000 + 1000) {
    return null;
  }
  const actor: Actor = {
    userId: user.id,
    email: user.email,
    firstName: user.firstName,
    lastName: user.lastName,
    locale: user.locale,
    isPlatformOperator: user.isPlatformOperator,
    tenant: null,
    memberId: null,
    isTenantAdmin: false,
  };
  if (tenantSlug === undefined) return actor;
  if (!row.tenant || row.member?.status !== 'active') return null;
  return {
    ...actor,
    tenant: { id: row.tenant.id, slug: row.tenant.slug, name: row.tenant.name },
    memberId: row.member.id,
    isTenantAdmin: row.member.isTenantAdmin,
  };
}

/** The tenants a user may switch to (active memberships only). */
export async function listActorTenants(db: Db, userId: string) {
  return db
    .select({ id: tenants.id, slug: tenants.slug, name: tenants.name, isTenantAdmin: tenantMembers.isTenantAdmin })
    .from(tenantMembers)
    .innerJoin(tenants, eq(tenants.id, tenantMembers.tenantId))
    .where(and(eq(tenantMembers.userId, userId), eq(tenantMembers.status, 'active')))
    .orderBy(tenants.name);
}
