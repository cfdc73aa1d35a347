import { sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { organizations, tenantMembers } from '@/db/schema';
import { type AdminScope, memberInScope, orgInScope } from './authz';

/** Org and member counts (by status) within an admin's scope, for the dashboard. */
export async function countMembersByStatus(db: Db, scope: AdminScope) {
  const count = sql<number>`count(*)::int`;
  const byStatus = (status: string) => sql<number>`(count(*) filter (where ${tenantMembers.status} = ${status}))::int`;
  const [[members], [orgs]] = await Promise.all([
    db
      .select({ members: count, active: byStatus('active'), invited: byStatus('invited'), deactivated: byStatus('deactivated') })
      .from(tenantMembers)
      .where(memberInScope(scope)),
    db.select({ orgs: count }).from(organizations).where(orgInScope(scope)),
  ]);
  // Aggregates without GROUP BY always return one row.
  return { orgs: orgs!.orgs, ...members! };
}
