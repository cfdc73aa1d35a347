import 'server-only';
import { eq } from 'drizzle-orm';
import { getServerSession } from 'next-auth';
import { notFound, redirect } from 'next/navigation';
import { cache } from 'react';
import { getDb } from '@/db/client';
import { users } from '@/db/schema';
import { type Actor, listActorTenants, loadActor } from '@/lib/actor';
import { authOptions } from './auth-options';

interface TenantrySession {
  userId?: string;
  issuedAt?: number;
}

/** The signed-in user's id, or null. A session issued before the last password change is void. */
export const getSessionUserId = cache(async (): Promise<string | null> => {
  const session = (await getServerSession(authOptions)) as TenantrySession | null;
  if (!session?.userId) return null;
  const [user] = await getDb()
    .select({ passwordChangedAt: users.passwordChangedAt })
    .from(users)
    .where(eq(users.id, session.userId))
    .limit(1);
  if (!user) return null;
  if (user.passwordChangedAt && session.issuedAt && user.passwordChangedAt.getTime() > session.issuedAt * 1000 + 1000) {
    return null;
  }
  return session.userId;
});

/** The actor for this request, optionally within a tenant; null when signed out or without access. */
export const getActor = cache(async (tenantSlug?: string): Promise<Actor | null> => {
  const userId = await getSessionUserId();
  if (!userId) return null;
  return loadActor(getDb(), userId, tenantSlug);
});

/**
 * For pages and actions: the actor or a redirect. Signed out → sign-in. Signed in but not an
 * active member of this tenant → "not found" when they have other tenants, else back to
 * sign-in saying their access ended (this is how a deactivated member's open session stops).
 * Call it in every page and action, not only in layouts: layouts are not re-run on navigation.
 */
export async function requireActor(tenantSlug?: string): Promise<Actor> {
  const userId = await getSessionUserId();
  if (!userId) redirect('/sign-in');
  const actor = await getActor(tenantSlug);
  if (actor) return actor;
  const base = await getActor();
  if (base && (base.isPlatformOperator || (await listActorTenants(getDb(), userId)).length > 0)) notFound();
  redirect('/sign-in?error=sessionEnded');
}

/** For operator pages. */
export async function requireOperator(): Promise<Actor> {
  const actor = await requireActor();
  if (!actor.isPlatformOperator) notFound();
  return actor;
}
