import type { Db } from '@/db/client';
import { groupContractPermissions, groupMembers, groupServicePermissions, serviceAccess, type ContractPermissionLevel, type PermissionLevel } from '@/db/schema';
import type { TenantFixture } from './fixtures';

/*
 * Fixtures for group permissions and effective access: rows inserted directly (no domain rules,
 * no audit), like lib/testing/fixtures.ts.
 */

/** Puts members in a group. */
export async function addGroupMembers(db: Db, tenant: TenantFixture, groupId: string, memberIds: string[]): Promise<void> {
  if (memberIds.length === 0) return;
  await db.insert(groupMembers).values(memberIds.map((memberId) => ({ tenantId: tenant.id, groupId, memberId })));
}

/** A group's service-wide level. */
export async function setGroupServiceLevel(db: Db, groupId: string, serviceId: string, level: PermissionLevel): Promise<void> {
  await db.insert(groupServicePermissions).values({ groupId, serviceId, level });
}

/** A group's per-contract level. */
export async function setGroupContractLevel(db: Db, tenant: TenantFixture, groupId: string, contractId: string, level: ContractPermissionLevel): Promise<void> {
  await db.insert(groupContractPermissions).values({ tenantId: tenant.id, groupId, contractId, level });
}

/** Turns a member's service access on for these services. */
export async function grantServiceAccess(db: Db, tenant: TenantFixture, memberId: string, serviceIds: string[]): Promise<void> {
  if (serviceIds.length === 0) return;
  await db.insert(serviceAccess).values(serviceIds.map((serviceId) => ({ tenantId: tenant.id, memberId, serviceId })));
}
