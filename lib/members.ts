import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { organizations, tenantMembers } from '@/db/schema';
import { type AdminScope, memberInScope, orgInScope } from './authz';

/** Org and member counts (by status) within an admin's scope, for the dashboard. */
export async function countMembersByStatus(db: Db, tenantId: string, scope: AdminScope) {
  const [members] = await db
    .select({
      members: sql<number>`count(*)::int`,
      active: sql<number>`count(*) filter (where ${tenantMembers.status} = 'active')::int`,
      invited: sql<number>`count(*) filter (where ${tenantMembers.status} = 'invited')::int`,
      deactivated: sql<number>`count(*) filter (where ${tenantMembers.status} = 'deactivated')::int`,
    })
    .from(tenantMembers)
    .where(and(eq(tenantMembers.tenantId, tenantId), memberInScope(scope)));
  const [orgs] = await db
    .select({ orgs: sql<number>`count(*)::int` })
    .from(organizations)
    .where(and(eq(organizations.tenantId, tenantId), orgInScope(scope)));
  return { orgs: orgs?.orgs ?? 0, members: members?.members ?? 0, active: members?.active ?? 0, invited: members?.invited ?? 0, deactivated: members?.deactivated ?? 0 };
}
