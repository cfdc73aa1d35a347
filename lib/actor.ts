import { and, eq } from 'drizzle-orm';
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

/**
 * Resolves the actor for a user and, optionally, a tenant slug. Returns null when the user is
 * gone, or when a tenant is named and the user is not an active member of it — so a
 * deactivated member's open session stops working at the next request.
 */
export async function loadActor(db: Db, userId: string, tenantSlug?: string): Promise<Actor | null> {
  const [user] = await db.select().from(users).where(eq(users.id, userId)).limit(1);
  if (!user || !user.passwordHash) return null;
  const base: Actor = {
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
  if (tenantSlug === undefined) return base;

  const [row] = await db
    .select({ tenant: tenants, member: tenantMembers })
    .from(tenants)
    .innerJoin(tenantMembers, and(eq(tenantMembers.tenantId, tenants.id), eq(tenantMembers.userId, user.id)))
    .where(eq(tenants.slug, tenantSlug))
    .limit(1);
  if (!row || row.member.status !== 'active') return null;
  return {
    ...base,
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
