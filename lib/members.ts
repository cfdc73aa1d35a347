import { sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { tenantMembers } from '@/db/schema';
import { type AdminScope, memberInScope } from './authz';

/** Member counts (by status) within an admin's scope, for the dashboard (which counts orgs from its tree). */
export async function countMembersByStatus(db: Db, scope: AdminScope) {
  const byStatus = (status: string) => sql<number>`(count(*) filter (where ${tenantMembers.status} = ${status}))::int`;
  const [members] = await db
    .select({ members: sql<number>`count(*)::int`, active: byStatus('active'), invited: byStatus('invited'), deactivated: byStatus('deactivated') })
    .from(tenantMembers)
    .where(memberInScope(scope));
  // An aggregate without GROUP BY always returns one row.
  return members!;
}
