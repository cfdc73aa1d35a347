import 'server-only';
import { getServerSession } from 'next-auth';
import { notFound, redirect } from 'next/navigation';
import { cache } from 'react';
import { getDb } from '@/db/client';
import { type Actor, listActorTenants, loadActor } from '@/lib/actor';
import { type Action, type AdminScope, adminScope, decideInScope } from '@/lib/authz';
import { authOptions } from './auth-options';

interface TenantrySession {
  userId?: string;
  issuedAt?: number;
}

/** The session cookie's content (no database read), or null when signed out. */
const getSession = cache(async () => {
  const session = (await getServerSession(authOptions)) as TenantrySession | null;
  return session?.userId ? { userId: session.userId, issuedAt: session.issuedAt ?? 0 } : null;
});

/** The actor for this request, optionally within a tenant; null when signed out or without access. One query, once per request. */
export const getActor = cache(async (tenantSlug?: string): Promise<Actor | null> => {
  const session = await getSession();
  if (!session) return null;
  return loadActor(getDb(), session.userId, { tenantSlug, sessionIssuedAt: session.issuedAt });
});

/**
 * For pages and actions: the actor or a redirect. Signed out → sign-in. Signed in but not an
 * active member of this tenant → "not found" when they have other tenants, else back to
 * sign-in saying their access ended (this is how a deactivated member's open session stops).
 * Call it in every page and action, not only in layouts: layouts are not re-run on navigation.
 */
export async function requireActor(tenantSlug?: string): Promise<Actor> {
  const actor = await getActor(tenantSlug);
  if (actor) return actor;
  const base = tenantSlug === undefined ? null : await getActor();
  if (!base) redirect((await getSession()) ? '/sign-in?error=sessionEnded' : '/sign-in');
  if (base.isPlatformOperator || (await listActorTenants(getDb(), base.userId)).length > 0) notFound();
  redirect('/sign-in?error=sessionEnded');
}

/** The actor's administration scope, read once per request (the shell and the page both need it). */
export const getAdminScope = cache((actor: Actor): Promise<AdminScope> => adminScope(getDb(), actor));

/**
 * May the actor do a tenant-wide `action` (a list screen: member.view, audit.view, …) in the tenant
 * it acts in? Decided by lib/authz from the request's cached scope: no query of its own.
 */
export async function canInTenant(actor: Actor, action: Action): Promise<boolean> {
  if (!actor.tenant) return false;
  return decideInScope(actor, await getAdminScope(actor), action, { type: 'tenant', tenantId: actor.tenant.id }) === 'allow';
}

export type RoleKey = 'platformOperator' | 'tenantAdmin' | 'orgAdmin' | 'member';

/** The one label of who the actor is here (key under `roles.` in the catalogue). */
export async function roleOf(actor: Actor): Promise<RoleKey> {
  if (!actor.tenant) return actor.isPlatformOperator ? 'platformOperator' : 'member';
  const scope = await getAdminScope(actor);
  return scope.kind === 'tenant' ? 'tenantAdmin' : scope.kind === 'subtrees' ? 'orgAdmin' : 'member';
}
